// The staff view's charts, each built from an /v1/analytics answer (docs/analytics.md).

import { COLORS, renderChart } from "./charts.js";

const pct = (value) => (value === null || value === undefined ? null : Math.round(value * 1000) / 10);
// "Program “X”: " before a summary whose figures are one program's learners.
const scoped = (scope, text) => (scope ? `Program “${scope}”: ${text}` : text);

export function drawEngagement(figure, report) {
  const s = report.series || [];
  const x = s.map((p) => p.period_start);
  const line = (name, key, color, extra = {}) => ({ type: "scatter", mode: "lines+markers", name, x, y: s.map((p) => p[key]), line: { color }, ...extra });
  const last = s.filter((p) => p.complete).pop() || s[s.length - 1];
  renderChart(figure, {
    traces: [
      line("DAU", "dau", COLORS.primary),
      line("WAU", "wau", COLORS.good),
      line("MAU", "mau", COLORS.secondary),
      line("Stickiness (DAU/MAU)", "stickiness", COLORS.accent, { yaxis: "y2", line: { color: COLORS.accent, dash: "dot" } }),
    ],
    layout: {
      xaxis: { type: "date" },
      yaxis: { title: { text: "learners" }, rangemode: "tozero" },
      yaxis2: { overlaying: "y", side: "right", range: [0, 1], tickformat: ".0%", showgrid: false },
      margin: { r: 48 },
    },
    columns: [
      { key: "period_start", label: "Period start" },
      { key: "dau", label: "DAU" },
      { key: "wau", label: "WAU" },
      { key: "mau", label: "MAU" },
      { key: "stickiness", label: "Stickiness" },
      { key: "events", label: "Events" },
      { key: "sessions", label: "Sessions" },
    ],
    rows: s,
    filename: "engagement",
    summary: last
      ? `Latest complete ${report.period}: DAU ${Math.round(last.dau)}, WAU ${last.wau}, MAU ${last.mau}, stickiness ${pct(last.stickiness)}%.`
      : "No activity in the period.",
  });
}

export function drawRetention(figure, report, scope = null) {
  const cohorts = report.cohorts || [];
  const periods = Array.from({ length: report.periods + 1 }, (_, i) => i);
  const label = (c) => `${c.cohort_start} (${c.size})`;
  const z = cohorts.map((c) => periods.map((i) => pct(c.cells[i] ? c.cells[i].share : null)));
  const rows = cohorts.flatMap((c) => c.cells.map((cell) => ({ cohort: c.cohort_start, size: c.size, period: cell.period, learners: cell.learners, share: cell.share })));
  renderChart(figure, {
    traces: [
      {
        type: "heatmap",
        x: periods.map((i) => `${report.period} ${i}`),
        y: cohorts.map(label),
        z,
        zmin: 0,
        zmax: 100,
        colorscale: [[0, "#eff6ff"], [1, "#1e3a8a"]],
        texttemplate: "%{z:.0f}%",
        hovertemplate: "cohort %{y}, %{x}: %{z:.1f}%<extra></extra>",
        colorbar: { ticksuffix: "%", thickness: 10 },
        xgap: 1,
        ygap: 1,
      },
    ],
    layout: { yaxis: { autorange: "reversed", type: "category", automargin: true }, xaxis: { type: "category", tickangle: -45 }, margin: { l: 8, b: 72 } },
    columns: [
      { key: "cohort", label: "Cohort start" },
      { key: "size", label: "Cohort size" },
      { key: "period", label: "Period" },
      { key: "learners", label: "Learners returned" },
      { key: "share", label: "Share" },
    ],
    rows,
    points: cohorts.length,
    filename: "retention",
    summary: scoped(
      scope,
      cohorts.length
        ? `${cohorts.length} ${report.period}ly cohorts; share of each cohort active in each later ${report.period}.` + (report.note ? ` ${report.note}` : "")
        : report.note || "No cohort large enough to show.",
    ),
  });
}

export function drawFunnel(figure, report) {
  const steps = report.steps || [];
  renderChart(figure, {
    traces: [
      {
        type: "funnel",
        y: steps.map((s) => s.step),
        x: steps.map((s) => s.learners),
        textinfo: "value+percent initial",
        marker: { color: COLORS.primary },
      },
    ],
    layout: { yaxis: { automargin: true }, margin: { l: 8 } },
    columns: [
      { key: "step", label: "Step" },
      { key: "learners", label: "Learners" },
      { key: "conversion_from_start", label: "Conversion from start" },
      { key: "conversion_from_previous", label: "Conversion from previous" },
      { key: "median_seconds_from_previous", label: "Median seconds from previous" },
    ],
    rows: steps,
    filename: "funnel",
    summary: steps.length
      ? `${steps[0].learners} learners entered; ${steps[steps.length - 1].learners} reached “${steps[steps.length - 1].step}” (${pct(steps[steps.length - 1].conversion_from_start)}%).`
      : "No funnel steps.",
  });
}

export function drawLifecycle(figure, report, scope = null) {
  const s = report.series || [];
  const x = s.map((p) => p.period_start);
  const bar = (name, key, color, sign = 1) => ({ type: "bar", name, x, y: s.map((p) => sign * p[key]), marker: { color } });
  renderChart(figure, {
    traces: [
      bar("New", "new", COLORS.good),
      bar("Returning", "returning", COLORS.primary),
      bar("Resurrecting", "resurrecting", COLORS.accent),
      bar("Dormant", "dormant", COLORS.muted, -1),
    ],
    layout: { barmode: "relative", xaxis: { type: "date" }, yaxis: { title: { text: "learners" } } },
    columns: [
      { key: "period_start", label: "Period start" },
      { key: "new", label: "New" },
      { key: "returning", label: "Returning" },
      { key: "resurrecting", label: "Resurrecting" },
      { key: "dormant", label: "Dormant" },
    ],
    rows: s,
    filename: "lifecycle",
    // A program below min_group_size comes with no series and a note saying why.
    summary: scoped(
      scope,
      s.length ? `New, returning, resurrecting and dormant (below the axis) learners per ${report.period}.` : report.note || "No activity in the period.",
    ),
  });
}

export function drawItems(figure, report) {
  const items = (report.items || []).filter((i) => i.difficulty !== null && i.discrimination !== null);
  renderChart(figure, {
    traces: [
      {
        type: "scatter",
        mode: "markers",
        x: items.map((i) => i.difficulty),
        y: items.map((i) => i.discrimination),
        text: items.map((i) => i.title || i.activity_id),
        hovertemplate: "%{text}<br>difficulty %{x:.2f}, discrimination %{y:.2f}<extra></extra>",
        marker: { size: items.map((i) => 6 + Math.sqrt(i.learners)), color: items.map((i) => (i.discrimination < 0.2 ? COLORS.danger : COLORS.primary)) },
      },
    ],
    layout: {
      xaxis: { title: { text: "difficulty (share of failed attempts)" }, range: [0, 1] },
      yaxis: { title: { text: "discrimination" }, zeroline: true },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.2, y1: 0.2, line: { dash: "dash", color: COLORS.muted } }],
    },
    columns: [
      { key: "title", label: "Item" },
      { key: "activity_id", label: "Activity id" },
      { key: "difficulty", label: "Difficulty" },
      { key: "first_attempt_correct_rate", label: "First-attempt correct rate" },
      { key: "discrimination", label: "Discrimination" },
      { key: "attempts", label: "Attempts" },
      { key: "learners", label: "Learners" },
    ],
    rows: report.items || [],
    points: items.length,
    filename: "item-analysis",
    summary: `${items.length} items; ${items.filter((i) => i.discrimination < 0.2).length} discriminate poorly (below 0.2, in red).`,
  });
}

export function drawQuality(figure, report) {
  const periods = report.periods || [];
  const x = periods.map((p) => p.start);
  const bar = (name, key, color) => ({ type: "bar", name, x, y: periods.map((p) => p.figures[key]), marker: { color } });
  const t = report.totals;
  renderChart(figure, {
    traces: [bar("Accepted", "accepted", COLORS.good), bar("Duplicate", "duplicate", COLORS.muted), bar("Conflict", "conflict", COLORS.secondary), bar("Rejected", "rejected", COLORS.danger)],
    layout: { barmode: "stack", xaxis: { type: "date" }, yaxis: { title: { text: "events received" } } },
    columns: [
      { key: "start", label: "Period start" },
      { key: "received", label: "Received" },
      { key: "accepted", label: "Accepted" },
      { key: "duplicate", label: "Duplicate" },
      { key: "conflict", label: "Conflict" },
      { key: "rejected", label: "Rejected" },
      { key: "lateness_p50_s", label: "Lateness p50 (s)" },
    ],
    rows: periods.map((p) => ({ start: p.start, ...p.figures, lateness_p50_s: p.figures.lateness.p50_s })),
    filename: "data-quality",
    summary: `${t.received} events received: ${t.accepted} accepted, ${t.duplicate} duplicates, ${t.conflict} conflicts, ${t.rejected} rejected.`,
  });
}
