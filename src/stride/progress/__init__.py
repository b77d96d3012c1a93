"""Pure progress folds: activity status, daily rollups, streaks, learner totals."""
