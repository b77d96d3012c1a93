// The learner view's charts, each built from API answers (see docs/api.md).

import { COLORS, renderChart } from "./charts.js";
import { WEEKDAYS, addDays, localDate, mondayOf, weekday } from "./dates.js";

const pct = (value) => (value === null || value === undefined ? null : Math.round(value * 1000) / 10);

export function drawRadar(figure, skills, todayDay) {
  const now = skills.radar || [];
  const cutoff = addDays(todayDay, -30);
  const history = (skills.radar_history || []).filter((entry) => entry.week <= cutoff);
  const before = history.length ? history[history.length - 1] : null;
  const past = new Map((before ? before.dimensions : []).map((d) => [d.dimension_id, d.mastery]));
  const names = now.map((d) => d.name);
  const close = (values) => (values.length ? [...values, values[0]] : values);
  const traces = [
    {
      type: "scatterpolar",
      name: "Now",
      r: close(now.map((d) => pct(d.mastery))),
      theta: close(names),
      fill: "toself",
      line: { color: COLORS.primary },
    },
  ];
  if (before) {
    traces.push({
      type: "scatterpolar",
      name: `30 days ago (week of ${before.week})`,
      r: close(now.map((d) => pct(past.get(d.dimension_id) ?? null))),
      theta: close(names),
      line: { color: COLORS.secondary, dash: "dot" },
    });
  }
  const rows = now.map((d) => ({
    dimension: d.name,
    now: pct(d.mastery),
    days_30_ago: before ? pct(past.get(d.dimension_id) ?? null) : null,
    skills: d.skills,
    practised: d.practised,
  }));
  const best = [...now].sort((a, b) => b.mastery - a.mastery)[0];
  renderChart(figure, {
    traces,
    layout: {
      polar: {
        radialaxis: { range: [0, 100], ticksuffix: "%", tickvals: [25, 50, 75, 100], angle: 90, tickfont: { size: 9 } },
        angularaxis: { tickfont: { size: 11 } },
      },
      margin: { l: 72, r: 72, t: 24 },
    },
    columns: [
      { key: "dimension", label: "Dimension" },
      { key: "now", label: "Mastery now (%)" },
      { key: "days_30_ago", label: "Mastery 30 days ago (%)" },
      { key: "skills", label: "Skills" },
      { key: "practised", label: "Practised" },
    ],
    rows,
    filename: "competency-radar",
    summary: best
      ? `Mastery across ${now.length} competency dimensions; strongest: ${best.name} at ${pct(best.mastery)}%.` +
        (before ? " The dotted line shows the same dimensions 30 days ago." : " No history from 30 days ago yet.")
      : "No competency dimensions yet.",
  });
}

// Daily active minutes with milestones (skills, achievements, goals met, completions) on top.
export function drawTimeline(figure, timeline, marks) {
  const days = timeline.days || [];
  const minutes = days.map((d) => Math.round(d.active_s / 60));
  const top = Math.max(10, ...minutes) * 1.1;
  const inRange = marks.filter((m) => m.day >= timeline.start && m.day <= timeline.end);
  const symbols = { achievement: "star", skill: "diamond", goal: "circle", completion: "square" };
  const colors = { achievement: COLORS.secondary, skill: COLORS.accent, goal: COLORS.good, completion: COLORS.danger };
  const traces = [
    { type: "bar", name: "Active minutes", x: days.map((d) => d.day), y: minutes, marker: { color: COLORS.primary } },
  ];
  for (const kind of Object.keys(symbols)) {
    const items = inRange.filter((m) => m.kind === kind);
    if (!items.length) continue;
    traces.push({
      type: "scatter",
      mode: "markers",
      name: { achievement: "Achievements", skill: "Skills acquired", goal: "Goals met", completion: "Completions" }[kind],
      x: items.map((m) => m.day),
      y: items.map(() => top),
      text: items.map((m) => m.label),
      hovertemplate: "%{x}: %{text}<extra></extra>",
      marker: { symbol: symbols[kind], size: 12, color: colors[kind] },
    });
  }
  const rows = [
    ...days.map((d) => ({ day: d.day, active_minutes: Math.round(d.active_s / 60), events: d.events, sessions: d.sessions, milestone: "" })),
    ...inRange.map((m) => ({ day: m.day, active_minutes: null, events: null, sessions: null, milestone: `${m.kind}: ${m.label}` })),
  ].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const total = minutes.reduce((a, b) => a + b, 0);
  renderChart(figure, {
    traces,
    layout: { yaxis: { title: { text: "minutes" }, rangemode: "tozero" }, xaxis: { type: "date" }, bargap: 0.15 },
    columns: [
      { key: "day", label: "Day" },
      { key: "active_minutes", label: "Active minutes" },
      { key: "events", label: "Events" },
      { key: "sessions", label: "Sessions" },
      { key: "milestone", label: "Milestone" },
    ],
    rows,
    points: days.length,
    filename: "progress-timeline",
    summary: `${total} active minutes over ${days.length} days (${timeline.start} to ${timeline.end}), with ${inRange.length} milestones and achievements.`,
  });
}

// Weekday × week grid of active minutes, in the learner's own time zone.
export function drawHeatmap(figure, timeline) {
  const days = timeline.days || [];
  if (!days.length) {
    renderChart(figure, { traces: [], columns: [], rows: [], summary: "No activity yet." });
    return;
  }
  const weeks = [];
  for (let week = mondayOf(days[0].day); week <= days[days.length - 1].day; week = addDays(week, 7)) weeks.push(week);
  const z = WEEKDAYS.map(() => weeks.map(() => null));
  for (const d of days) {
    const column = weeks.indexOf(mondayOf(d.day));
    z[weekday(d.day)][column] = Math.round(d.active_s / 60);
  }
  const active = days.filter((d) => d.active_s > 0).length;
  renderChart(figure, {
    traces: [
      {
        type: "heatmap",
        x: weeks,
        y: WEEKDAYS,
        z,
        colorscale: [[0, "#f1f5f9"], [0.001, "#c7d2fe"], [1, "#1e3a8a"]],
        xgap: 2,
        ygap: 2,
        hovertemplate: "week of %{x}, %{y}: %{z} min<extra></extra>",
        colorbar: { title: { text: "min" }, thickness: 10 },
      },
    ],
    layout: { yaxis: { autorange: "reversed" }, xaxis: { type: "category", tickangle: -45 }, margin: { b: 72 } },
    columns: [
      { key: "day", label: "Day" },
      { key: "active_minutes", label: "Active minutes" },
      { key: "events", label: "Events" },
    ],
    rows: days.map((d) => ({ day: d.day, active_minutes: Math.round(d.active_s / 60), events: d.events })),
    filename: "activity-heatmap",
    summary: `Active on ${active} of the last ${days.length} days (${timeline.timezone || "UTC"} days).`,
  });
}

export function drawSkills(figure, skills) {
  const list = [...(skills.skills || [])].sort((a, b) => a.mastery - b.mastery);
  const threshold = pct(skills.threshold);
  renderChart(figure, {
    traces: [
      {
        type: "bar",
        orientation: "h",
        x: list.map((s) => pct(s.mastery)),
        y: list.map((s) => s.name),
        marker: { color: list.map((s) => (s.acquired ? COLORS.good : COLORS.primary)) },
        hovertemplate: "%{y}: %{x}%<extra></extra>",
        name: "Mastery",
      },
    ],
    layout: {
      xaxis: { range: [0, 100], ticksuffix: "%" },
      yaxis: { automargin: true },
      shapes: threshold
        ? [{ type: "line", x0: threshold, x1: threshold, yref: "paper", y0: 0, y1: 1, line: { dash: "dash", color: COLORS.danger } }]
        : [],
      margin: { l: 8 },
      showlegend: false,
    },
    columns: [
      { key: "skill", label: "Skill" },
      { key: "mastery", label: "Mastery (%)" },
      { key: "acquired", label: "Acquired" },
      { key: "attempts", label: "Attempts" },
      { key: "acquired_at", label: "Acquired at" },
    ],
    rows: list.map((s) => ({ skill: s.name, mastery: pct(s.mastery), acquired: s.acquired ? "yes" : "no", attempts: s.attempts, acquired_at: s.acquired_at })),
    filename: "skill-mastery",
    summary: `${list.filter((s) => s.acquired).length} of ${list.length} skills acquired (mastery threshold ${threshold}%).`,
  });
}

// Projected mastery in 30 days per skill, beside mastery now.
export function drawForecast(figure, forecast, skillNames) {
  const list = forecast.skills || [];
  const name = (id) => skillNames.get(id) || id;
  renderChart(figure, {
    traces: [
      { type: "bar", name: "Now", y: list.map((s) => name(s.skill_id)), x: list.map((s) => pct(s.mastery)), orientation: "h", marker: { color: COLORS.primary } },
      {
        type: "bar",
        name: "In 30 days (projected)",
        y: list.map((s) => name(s.skill_id)),
        x: list.map((s) => pct(s.projection.projected_p_mastery)),
        orientation: "h",
        marker: { color: COLORS.secondary },
      },
    ],
    layout: { barmode: "group", xaxis: { range: [0, 100], ticksuffix: "%" }, yaxis: { automargin: true }, margin: { l: 8 } },
    columns: [
      { key: "skill", label: "Skill" },
      { key: "now", label: "Mastery now (%)" },
      { key: "projected", label: "Projected in 30 days (%)" },
      { key: "attempts_to_threshold", label: "Attempts to threshold" },
      { key: "days_to_threshold", label: "Days to threshold" },
    ],
    rows: list.map((s) => ({
      skill: name(s.skill_id),
      now: pct(s.mastery),
      projected: pct(s.projection.projected_p_mastery),
      attempts_to_threshold: s.projection.attempts_to_threshold,
      days_to_threshold: s.projection.days_to_threshold,
    })),
    filename: "forecast-skills",
    summary: `Projected mastery of ${list.length} skills in 30 days at the learner's recent pace.`,
  });
}

// The expected completion date with its interval, as a range on a date axis.
export function drawCompletion(figure, forecast, title) {
  const c = forecast.completion;
  renderChart(figure, {
    traces: [
      {
        type: "scatter",
        mode: "lines",
        x: [c.low_date, c.high_date],
        y: [title, title],
        line: { width: 10, color: "#93c5fd" },
        name: `${Math.round(c.interval * 100)}% interval`,
        hovertemplate: "%{x}<extra></extra>",
      },
      {
        type: "scatter",
        mode: "markers",
        x: [c.expected_date],
        y: [title],
        marker: { size: 16, color: COLORS.primary, symbol: "diamond" },
        name: "Expected",
        hovertemplate: "expected %{x}<extra></extra>",
      },
    ],
    layout: { xaxis: { type: "date" }, yaxis: { automargin: true, showticklabels: false }, height: 180, margin: { l: 16, b: 40 } },
    columns: [
      { key: "program", label: "Program" },
      { key: "expected", label: "Expected completion" },
      { key: "low", label: "Interval from" },
      { key: "high", label: "Interval to" },
      { key: "interval", label: "Interval" },
    ],
    rows: [{ program: title, expected: c.expected_date, low: c.low_date, high: c.high_date, interval: c.interval }],
    filename: "forecast-completion",
    summary: `${title}: expected on ${c.expected_date}, ${Math.round(c.interval * 100)}% interval ${c.low_date} to ${c.high_date}.`,
  });
}

export function milestones(achievements, skills, goals, enrollments, timeZone) {
  const day = (instant) => (instant ? localDate(instant, timeZone) : null);
  const marks = [];
  for (const a of achievements.earned || []) marks.push({ kind: "achievement", day: day(a.awarded_at), label: a.name });
  for (const s of skills.skills || []) if (s.acquired_at) marks.push({ kind: "skill", day: day(s.acquired_at), label: s.name });
  for (const g of goals.data || []) {
    for (const week of [g.current_week, ...(g.history || [])]) {
      if (week && week.met_on) marks.push({ kind: "goal", day: week.met_on, label: `${g.kind.replace(/_/g, " ")} goal met` });
    }
  }
  for (const e of enrollments.data || []) {
    if (e.completed_at) marks.push({ kind: "completion", day: day(e.completed_at), label: `${e.activity_id} completed` });
  }
  return marks.filter((m) => m.day);
}
