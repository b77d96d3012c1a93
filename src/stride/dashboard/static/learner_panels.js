// The learner view's cards, achievements gallery and recommendations.

import { duration, humanDate, mondayOf } from "./dates.js";

export function drawCards(root, titles, { progress, day, timeline, goals, enrollments }) {
  root.querySelector("#learner-error").hidden = true;
  root.querySelector("#learner-tz").textContent = progress.timezone || "UTC";
  const active = (enrollments.data || []).filter((e) => e.status !== "cancelled");
  const completion = active.length ? active.reduce((sum, e) => sum + (e.completion || 0), 0) / active.length : null;
  setCard(root, "progress", completion === null ? `${progress.activities_completed}` : `${Math.round(completion * 100)}%`, [
    completion === null ? "activities completed" : active.map((e) => titles.get(e.activity_id) || e.activity_id).join(", "),
    `${progress.activities_completed} activities completed · ${progress.events} events`,
  ], completion);
  const goal = (goals.data || []).find((g) => g.status !== "cancelled" && g.current_week);
  if (goal) {
    const week = goal.current_week;
    setCard(root, "goal", `${week.actual} / ${week.target} ${goal.unit}`, [
      week.met ? `Met on ${humanDate(week.met_on)}` : `${Math.max(0, week.target - week.actual)} ${goal.unit} to go this week`,
    ], Math.min(1, week.actual / week.target));
  } else {
    setCard(root, "goal", "No goal", ["No weekly goal set"], null);
  }
  const streak = progress.streak || { current: progress.current_streak, longest: progress.longest_streak, freezes_per_month: 0 };
  setCard(root, "streak", `${streak.current} ${streak.current === 1 ? "day" : "days"}`, [
    `Longest ${streak.longest} days`,
    streak.freezes_per_month
      ? `${streak.freezes_left} of ${streak.freezes_per_month} freezes left this month`
      : "No streak freezes",
  ], null);
  const monday = mondayOf(day);
  const week = (timeline.days || []).filter((d) => d.day >= monday);
  const seconds = week.reduce((sum, d) => sum + d.active_s, 0);
  setCard(root, "time", duration(seconds), [
    `${week.filter((d) => d.active_s > 0).length} active days since ${humanDate(monday)}`,
  ], null);
}

export function drawAchievements(root, achievements) {
  const list = root.querySelector("#achievements");
  const summary = root.querySelector("#points");
  if (achievements.error) {
    list.replaceChildren(item("li", "empty", achievements.error.message));
    return;
  }
  summary.textContent = `${achievements.total_points} points in all, ${achievements.week_points} this week.`;
  const earned = [...achievements.earned].sort((a, b) => (a.awarded_at < b.awarded_at ? 1 : -1));
  const cards = earned.map((a) => badge(a, true));
  const unearned = [...achievements.unearned].sort((a, b) => b.progress.percent - a.progress.percent);
  list.replaceChildren(...cards, ...unearned.map((a) => badge(a, false)));
}

export function drawRecommendations(root, titles, found) {
  const list = root.querySelector("#recommendations");
  if (found.error) {
    const consent = found.error.problem && found.error.problem.code === "consent_required";
    list.replaceChildren(item("li", "empty", consent ? "Recommendations need the learner's personalization consent." : found.error.message));
    return;
  }
  const rows = found.recommendations || [];
  if (!rows.length) {
    list.replaceChildren(item("li", "empty", "Nothing to recommend right now."));
    return;
  }
  list.replaceChildren(
    ...rows.map((r) => {
      const li = item("li", `recommendation ${r.kind}`);
      li.append(item("p", "reason", r.reason));
      if (r.activity_id) li.append(item("p", "detail", `Next: ${titles.get(r.activity_id) || r.activity_id}`));
      return li;
    }),
  );
}

function item(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setCard(root, name, value, details, share) {
  const card = root.querySelector(`#card-${name}`);
  card.querySelector(".value").textContent = value;
  const lines = details.map((text) => item("p", "detail", text));
  const bar = card.querySelector("progress");
  bar.hidden = share === null;
  if (share !== null) {
    bar.value = Math.round(share * 100);
    bar.textContent = `${Math.round(share * 100)}%`;
  }
  card.querySelector(".details").replaceChildren(...lines);
  card.dataset.value = value;
}

function badge(achievement, earned) {
  const li = item("li", earned ? "badge earned" : "badge");
  const icon = item("span", "icon", achievement.name.slice(0, 1).toUpperCase());
  icon.setAttribute("aria-hidden", "true");
  const body = item("div", "badge-body");
  body.append(item("h4", "", achievement.name), item("p", "detail", achievement.description || ""));
  if (earned) {
    body.append(item("p", "meta", `Earned ${humanDate(achievement.awarded_at)} · ${achievement.points} points`));
  } else {
    const p = achievement.progress;
    const bar = item("progress");
    bar.max = 100;
    bar.value = Math.round(p.percent);
    bar.textContent = `${Math.round(p.percent)}%`;
    bar.setAttribute("aria-label", `${achievement.name}: ${Math.round(p.percent)}% done`);
    const eta = p.estimated_date ? ` · expected ${humanDate(p.estimated_date)}` : "";
    body.append(bar, item("p", "meta", `${Math.round(p.percent)}% · ${achievement.points} points${eta}`));
  }
  li.append(icon, body);
  return li;
}
