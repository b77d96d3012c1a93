// The staff view: engagement, retention, funnel, lifecycle, content, items, at-risk learners and
// data quality, for a period and a program.

import { ApiError, api, authHeaders } from "./api.js";
import { chartError, chartNote, chartPanel, purge } from "./charts.js";
import { addDays } from "./dates.js";
import * as charts from "./staff_charts.js";
import { EventStream } from "./stream.js";
import { SortableTable } from "./tables.js";

const PANELS = [
  ["chart-engagement", "Engagement", "Daily, weekly and monthly active learners; stickiness on the right axis."],
  ["chart-retention", "Retention by cohort", "Share of each start cohort active again in each later period."],
  ["chart-funnel", "Funnel", "Learners reaching each step in order within 14 days."],
  ["chart-lifecycle", "Lifecycle", "New, returning, resurrecting and dormant learners."],
  ["chart-items", "Item analysis", "Difficulty against discrimination per graded item."],
  ["chart-quality", "Data quality", "Events received per period and what became of them."],
];
const FUNNEL_STEPS = ["enrollment.created", "activity.started", "exercise.attempted", "assessment.submitted", "activity.completed"];
const COUNTERS_REFRESH_MS = 5000;
// Rejected events often name no program, so data quality is never narrowed to one.
const QUALITY_NOTE = "Data quality covers the whole tenant: the program filter does not apply to it.";

const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);
const minutes = (s) => (s === null || s === undefined ? null : Math.round(s / 60));

export class StaffView {
  constructor(root, session, { onUnauthorized }) {
    this.root = root;
    this.session = session;
    this.onUnauthorized = onUnauthorized;
    this.timer = null;
  }

  async start() {
    const grid = this.root.querySelector("#staff-charts");
    purge(grid);
    grid.replaceChildren(...PANELS.map(([id, title, text]) => chartPanel(id, title, text)));
    this.content = new SortableTable(this.root.querySelector("#content-panel"), [
      { key: "title", label: "Module" },
      { key: "course", label: "Course" },
      { key: "learners", label: "Learners", numeric: true },
      { key: "completion_rate", label: "Completion", numeric: true, render: pct },
      { key: "median_minutes", label: "Median minutes", numeric: true },
      { key: "mean_score", label: "Mean score", numeric: true, render: pct },
      { key: "pass_rate", label: "Pass rate", numeric: true, render: pct },
      { key: "drop_off", label: "Most stop at" },
    ], { filename: "content-effectiveness", caption: "Modules" });
    this.atRisk = new SortableTable(this.root.querySelector("#risk-panel"), [
      { key: "learner", label: "Learner (pseudonym)" },
      { key: "program", label: "Program" },
      { key: "days_inactive", label: "Days inactive", numeric: true },
      { key: "completion", label: "Completion", numeric: true, render: pct },
      { key: "score", label: "Risk", numeric: true, render: (v) => (v === null ? "–" : pct(v)) },
      { key: "reasons", label: "Reasons" },
    ], { filename: "at-risk-learners", caption: "Learners at risk" });
    const form = this.root.querySelector("#staff-filters");
    form.addEventListener("change", () => this.refresh());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.refresh();
    });
    await this.loadPrograms();
    await this.refresh();
    this.stream = new EventStream({
      url: "/v1/stream",
      headers: authHeaders(this.session),
      onMessage: ({ event }) => this.onMessage(event),
      onState: (state) => {
        const live = this.root.querySelector("#staff-live");
        live.textContent = state === "open" ? "Live" : "Refresh with the filters";
        live.dataset.state = state === "open" ? "live" : "polling";
      },
    });
    this.stream.start();
  }

  destroy() {
    if (this.stream) this.stream.stop();
    clearTimeout(this.timer);
    purge(this.root);
  }

  onMessage(event) {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.loadEngagement();
    }, event === "counters" ? COUNTERS_REFRESH_MS : 1000);
  }

  get(path, query) {
    return api(this.session, path, { query });
  }

  filters() {
    const form = this.root.querySelector("#staff-filters");
    const days = Number(form.elements.period.value) || 90;
    const to = new Date().toISOString().slice(0, 10);
    return { days, to, from: addDays(to, 1 - days), program: form.elements.program.value || null };
  }

  async loadPrograms() {
    try {
      const catalog = await this.get("/v1/catalog");
      this.titles = new Map((catalog.catalog.activities || []).map((a) => [a.id, a.title || a.id]));
      const select = this.root.querySelector("#filter-program");
      const programs = (catalog.catalog.activities || []).filter((a) => a.type === "program");
      for (const p of programs) {
        const option = document.createElement("option");
        option.value = p.id;
        option.textContent = p.title || p.id;
        select.append(option);
      }
    } catch (error) {
      this.titles = new Map();
      this.fail(error);
    }
  }

  fail(error, figure) {
    if (error instanceof ApiError && error.status === 401) {
      this.onUnauthorized();
      return;
    }
    const text = error instanceof ApiError && error.status === 403 ? "This key's role may not read this." : error.message;
    if (figure) chartError(figure, text);
  }

  async panel(id, load) {
    const figure = this.root.querySelector(`#${id}`);
    try {
      await load(figure);
    } catch (error) {
      this.fail(error, figure);
    }
  }

  loadEngagement() {
    const f = this.filters();
    const period = f.days > 92 ? "week" : "day";
    const breakdown = f.program ? "program" : null;
    return this.panel("chart-engagement", async (figure) => {
      const report = await this.get("/v1/analytics/engagement", { period, from: f.from, to: f.to, breakdown });
      if (!f.program) return charts.drawEngagement(figure, report);
      const group = (report.groups || []).find((g) => g.value === f.program);
      if (!group) return chartError(figure, report.note || "No learner of this program was active in the period.");
      return charts.drawEngagement(figure, { ...report, series: group.series });
    });
  }

  async refresh() {
    for (const figure of this.root.querySelectorAll("figure.chart")) figure.dataset.state = "loading";
    const f = this.filters();
    const title = (id) => (this.titles && this.titles.get(id)) || id;
    const steps = f.program ? [`enrollment.created:${f.program}`, ...FUNNEL_STEPS.slice(1)] : FUNNEL_STEPS;
    const program = f.program ? { program: f.program } : {};
    // Retention and lifecycle of the program's learners (their activity in it) when one is chosen.
    const byWeek = { period: "week", from: f.from, to: f.to, ...program };
    const scope = f.program ? title(f.program) : null;
    await Promise.all([
      this.loadEngagement(),
      this.panel("chart-retention", async (figure) => charts.drawRetention(figure, await this.get("/v1/analytics/retention", byWeek), scope)),
      this.panel("chart-funnel", async (figure) => charts.drawFunnel(figure, await this.get("/v1/analytics/funnels", { steps, from: f.from, to: f.to }))),
      this.panel("chart-lifecycle", async (figure) => charts.drawLifecycle(figure, await this.get("/v1/analytics/lifecycle", byWeek), scope)),
      this.panel("chart-items", async (figure) => charts.drawItems(figure, await this.get("/v1/analytics/items", program))),
      this.panel("chart-quality", async (figure) => {
        chartNote(figure, f.program ? QUALITY_NOTE : "");
        const period = f.days > 92 ? "week" : "day";
        charts.drawQuality(figure, await this.get("/v1/analytics/data-quality", { period, from: f.from, to: f.to }));
      }),
      this.loadContent(program, title),
      this.loadAtRisk(program, title),
    ]);
  }

  async loadContent(program, title) {
    const note = this.root.querySelector("#content-note");
    try {
      const report = await this.get("/v1/analytics/content", program);
      this.content.setRows((report.modules || []).map((m) => ({
        title: m.title || m.module_id,
        course: title(m.course_id),
        learners: m.learners,
        completion_rate: m.completion_rate,
        median_minutes: minutes(m.median_time_s),
        mean_score: m.mean_score,
        pass_rate: m.pass_rate,
        drop_off: m.drop_off ? title(m.drop_off.activity_id) : null,
      })));
      note.textContent = `Groups of fewer than ${report.min_group_size} learners are not shown.`;
    } catch (error) {
      this.fail(error);
      note.textContent = error.message;
    }
  }

  async loadAtRisk(program, title) {
    const note = this.root.querySelector("#risk-note");
    try {
      const page = await this.get("/v1/analytics/at-risk", { ...program, limit: 100 });
      this.atRisk.setRows((page.learners || []).map((l) => ({
        learner: l.learner_key.slice(0, 12),
        program: title(l.program_id),
        days_inactive: l.days_inactive,
        completion: l.completion,
        score: l.score,
        reasons: l.reasons.map((r) => r.detail).join(" "),
      })));
      note.textContent = `${page.total} learners at risk (inactive ${page.inactive_days}+ days or behind plan); risk model: ${page.model.status}.`;
    } catch (error) {
      this.fail(error);
      note.textContent = error instanceof ApiError && error.status === 403 ? "At-risk lists need an instructor or admin key." : error.message;
    }
  }
}
