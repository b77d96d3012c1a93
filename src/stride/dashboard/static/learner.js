// The learner view: cards, charts, achievements and recommendations, kept live from the
// learner's event stream, or by polling the cards while the stream is not connected.

import { ApiError, api, authHeaders, isLearnerToken, learnerPath } from "./api.js";
import { chartError, chartPanel, purge } from "./charts.js";
import { addDays, humanDate, today } from "./dates.js";
import * as charts from "./learner_charts.js";
import { drawAchievements, drawCards, drawRecommendations } from "./learner_panels.js";
import { EventStream } from "./stream.js";

const POLL_MS = 1500;
const DEBOUNCE_MS = 200;
const HEATMAP_DAYS = 90;
const CELEBRATED_KEY = "stride.dashboard.celebrated";

const PANELS = [
  ["chart-radar", "Competency radar", "Mastery per competency dimension, now and 30 days ago."],
  ["chart-timeline", "Progress timeline", "Active minutes per day, with milestones and achievements."],
  ["chart-heatmap", "Activity, last 90 days", "Active minutes per day in the learner's time zone."],
  ["chart-skills", "Skill mastery", "Mastery of each skill; the dashed line is the mastery threshold."],
  ["chart-forecast", "Forecast", "Projected mastery in 30 days at the recent pace."],
];

export class LearnerView {
  constructor(root, session, learnerId, { onUnauthorized, announce, celebrate }) {
    this.root = root;
    this.session = session;
    this.learnerId = learnerId;
    this.onUnauthorized = onUnauthorized;
    this.announce = announce;
    this.celebrateToast = celebrate;
    this.ownToken = isLearnerToken(session.credential);
    this.lastEvents = null;
    this.seenAchievements = null;
    this.pending = new Set();
    this.timer = null;
    this.poller = null;
    this.busy = false;
    this.titles = new Map();
    this.skillNames = new Map();
    this.destroyed = false;
  }

  async start() {
    this.root.querySelector("#learner-name").textContent = this.learnerId;
    const grid = this.root.querySelector("#learner-charts");
    purge(grid);
    grid.replaceChildren(...PANELS.map(([id, title, text]) => chartPanel(id, title, text)));
    this.completionFigure = chartPanel("chart-completion", "Expected completion", "");
    this.completionFigure.hidden = true;
    grid.querySelector("#chart-forecast").after(this.completionFigure);
    try {
      const catalog = await this.get("/v1/catalog");
      for (const activity of catalog.catalog.activities || []) this.titles.set(activity.id, activity.title || activity.id);
      for (const skill of catalog.catalog.skills || []) this.skillNames.set(skill.id, skill.name || skill.id);
    } catch (error) {
      if (this.handle(error)) return;
    }
    await this.refreshAll();
    this.stream = new EventStream({
      url: learnerPath(this.learnerId, "stream"),
      headers: authHeaders(this.session),
      onMessage: (message) => this.onMessage(message),
      onState: (state) => this.onStreamState(state),
    });
    this.stream.start();
    this.onStreamState("connecting");
  }

  destroy() {
    this.destroyed = true;
    if (this.stream) this.stream.stop();
    clearInterval(this.poller);
    clearTimeout(this.timer);
    purge(this.root);
  }

  get(path, query) {
    return api(this.session, path, { query });
  }

  handle(error) {
    if (error instanceof ApiError && error.status === 401) {
      this.onUnauthorized();
      return true;
    }
    return false;
  }

  async optional(path, query) {
    try {
      return await this.get(path, query);
    } catch (error) {
      if (this.handle(error)) throw error;
      return { error };
    }
  }

  // ---- live updates -------------------------------------------------------------------

  onStreamState(state) {
    const live = this.root.querySelector("#live-status");
    const open = state === "open";
    live.textContent = open ? "Live" : `Checking for updates every ${POLL_MS / 1000} s`;
    live.dataset.state = open ? "live" : "polling";
    clearInterval(this.poller);
    this.poller = open ? null : setInterval(() => this.poll(), POLL_MS);
  }

  // The stream is the viewed learner's own: every message but the tenant counters is theirs.
  onMessage({ event }) {
    if (event === "counters") return;
    this.pending.add(event);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), DEBOUNCE_MS);
  }

  async flush() {
    const events = new Set(this.pending);
    this.pending.clear();
    const charts = [...events].some((e) => e !== "goal.met" && e !== "streak.changed");
    await (charts ? this.refreshAll() : this.refreshCards());
  }

  async poll() {
    if (this.busy || this.destroyed || document.visibilityState === "hidden") return;
    const before = this.lastEvents;
    await this.refreshCards();
    if (before !== null && this.lastEvents !== before) await this.refreshAll();
  }

  // ---- loading ------------------------------------------------------------------------

  async fetchCards() {
    const progress = await this.get(learnerPath(this.learnerId, "progress"));
    const day = today(progress.timezone);
    const [timeline, goals, enrollments, achievements] = await Promise.all([
      this.optional(learnerPath(this.learnerId, "timeline"), { from: addDays(day, 1 - HEATMAP_DAYS), to: day }),
      this.optional(learnerPath(this.learnerId, "goals")),
      this.optional(learnerPath(this.learnerId, "enrollments")),
      this.optional(learnerPath(this.learnerId, "achievements")),
    ]);
    return { progress, day, timeline, goals, enrollments, achievements };
  }

  async refreshCards() {
    if (this.destroyed) return null;
    this.busy = true;
    try {
      const data = await this.fetchCards();
      drawCards(this.root, this.titles, data);
      this.checkAchievements(data.achievements);
      this.lastEvents = data.progress.events;
      return data;
    } catch (error) {
      if (!this.handle(error)) this.showError(error);
      return null;
    } finally {
      this.busy = false;
    }
  }

  async refreshAll() {
    const data = await this.refreshCards();
    if (!data || this.destroyed) return;
    this.busy = true;
    try {
      const [skills, recommendations] = await Promise.all([
        this.optional(learnerPath(this.learnerId, "skills")),
        this.optional(`/v1/analytics/recommendations/${encodeURIComponent(this.learnerId)}`),
      ]);
      const program = mainEnrollment(data.enrollments);
      const forecast = program
        ? await this.optional(learnerPath(this.learnerId, "forecast"), { program: program.activity_id })
        : null;
      this.drawCharts(data, skills, forecast, program);
      drawAchievements(this.root, data.achievements);
      drawRecommendations(this.root, this.titles, recommendations);
    } finally {
      this.busy = false;
    }
  }

  showError(error) {
    this.root.querySelector("#learner-error").textContent =
      error instanceof ApiError && error.status === 404
        ? `Stride knows no learner “${this.learnerId}”.`
        : `Could not load the learner: ${error.message}`;
    this.root.querySelector("#learner-error").hidden = false;
  }

  // ---- drawing ------------------------------------------------------------------------

  drawCharts(data, skills, forecast, program) {
    const figure = (id) => this.root.querySelector(`#${id}`);
    const tz = data.progress.timezone;
    if (skills.error) {
      for (const id of ["chart-radar", "chart-skills"]) chartError(figure(id), skills.error.message);
    } else {
      charts.drawRadar(figure("chart-radar"), skills, data.day);
      charts.drawSkills(figure("chart-skills"), skills);
    }
    if (data.timeline.error) {
      for (const id of ["chart-timeline", "chart-heatmap"]) chartError(figure(id), data.timeline.error.message);
    } else {
      const marks = charts.milestones(data.achievements, skills.error ? {} : skills, data.goals, data.enrollments, tz);
      charts.drawTimeline(figure("chart-timeline"), data.timeline, marks);
      charts.drawHeatmap(figure("chart-heatmap"), data.timeline);
    }
    const note = this.root.querySelector("#forecast-note");
    if (!forecast || forecast.error) {
      chartError(figure("chart-forecast"), forecast ? forecast.error.message : "Not enrolled in a program: no forecast.");
      this.completionFigure.hidden = true;
      note.textContent = "";
      return;
    }
    const names = new Map([...this.skillNames, ...(skills.skills || []).map((s) => [s.skill_id, s.name])]);
    charts.drawForecast(figure("chart-forecast"), forecast, names);
    const title = this.titles.get(program.activity_id) || program.activity_id;
    const c = forecast.completion;
    if (c.expected_date && c.low_date && c.high_date) {
      this.completionFigure.hidden = false;
      charts.drawCompletion(this.completionFigure, forecast, title);
      note.textContent = `${title}: expected completion ${humanDate(c.expected_date)} (${Math.round(c.interval * 100)}% interval ${humanDate(c.low_date)} – ${humanDate(c.high_date)}).`;
    } else {
      this.completionFigure.hidden = true;
      note.textContent = {
        complete: `${title} is complete.`,
        not_enough_data: `${title}: not enough recent activity to forecast a completion date.`,
      }[c.status] || `${title}: no completion forecast (${c.status.replace(/_/g, " ")}).`;
    }
  }

  // ---- celebrations -------------------------------------------------------------------

  checkAchievements(achievements) {
    if (!achievements || achievements.error) return;
    const earned = achievements.earned || [];
    const celebrated = new Set(JSON.parse(sessionStorage.getItem(CELEBRATED_KEY) || "[]"));
    const key = (a) => `${this.learnerId}\u0000${a.id}`;
    let fresh;
    if (this.seenAchievements === null) {
      // On first load only the learner's own, never-shown ones; staff see new ones only.
      fresh = this.ownToken ? earned.filter((a) => !a.celebration_shown) : [];
    } else {
      fresh = earned.filter((a) => !this.seenAchievements.has(a.id) && !a.celebration_shown);
    }
    this.seenAchievements = new Set(earned.map((a) => a.id));
    fresh = fresh.filter((a) => !celebrated.has(key(a)));
    if (!fresh.length) return;
    for (const a of fresh) celebrated.add(key(a));
    sessionStorage.setItem(CELEBRATED_KEY, JSON.stringify([...celebrated]));
    this.celebrateToast(fresh);
    if (this.ownToken) {
      for (const a of fresh) {
        api(this.session, learnerPath(this.learnerId, `achievements/${encodeURIComponent(a.id)}`), {
          method: "PATCH",
          body: { celebration_shown: true },
        }).catch(() => {});
      }
    }
  }
}

function mainEnrollment(enrollments) {
  const list = (enrollments && enrollments.data) || [];
  return list.find((e) => e.status === "active") || list.find((e) => e.status === "completed") || null;
}
