"""The read side for one learner: progress, activities, timeline, and their profile."""
