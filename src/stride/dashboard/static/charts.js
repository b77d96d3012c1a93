// Chart panels: a plotly chart, its text alternative (a summary and a data table) and a CSV
// download of the same data.

import { downloadCsv } from "./csv.js";

export const COLORS = {
  primary: "#1d4ed8",
  secondary: "#b45309",
  good: "#047857",
  muted: "#6b7280",
  danger: "#b91c1c",
  accent: "#7c3aed",
};

const CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage", "autoScale2d"],
};

const BASE_LAYOUT = {
  margin: { l: 56, r: 16, t: 8, b: 48 },
  paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)",
  font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: "#1f2937" },
  legend: { orientation: "h", x: 0, y: -0.25 },
  hoverlabel: { font: { size: 13 } },
};

const panels = new WeakMap();

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// <figure class="chart"> with a heading, the plot, a summary, a data table and a CSV button.
export function chartPanel(id, title, description = "") {
  const figure = element("figure", { class: "panel chart", id, "data-state": "loading" });
  const header = element("div", { class: "panel-head" });
  const heading = element("h3", { id: `${id}-title` }, title);
  const button = element("button", { type: "button", class: "csv", disabled: "" }, "Download CSV");
  button.setAttribute("aria-label", `Download the data of “${title}” as CSV`);
  header.append(heading, button);
  const plot = element("div", {
    class: "plot",
    role: "img",
    "aria-labelledby": `${id}-title`,
    "aria-describedby": `${id}-summary`,
  });
  const summary = element("p", { class: "summary", id: `${id}-summary` }, "Loading…");
  // What a chart's figures cover when it differs from the filters (see chartNote).
  const note = element("p", { class: "scope-note", id: `${id}-note`, role: "note", hidden: "" });
  const details = element("details", { class: "data" });
  details.append(element("summary", {}, "Data table"), element("div", { class: "table-wrap" }));
  figure.append(header);
  if (description) figure.append(element("p", { class: "description" }, description));
  figure.append(note, plot, summary, details);
  button.addEventListener("click", () => {
    const state = panels.get(figure);
    if (state) downloadCsv(state.filename, state.columns, state.rows);
  });
  return figure;
}

export function dataTable(columns, rows, caption) {
  const table = element("table");
  if (caption) table.append(element("caption", {}, caption));
  const head = element("thead");
  const headRow = element("tr");
  for (const column of columns) headRow.append(element("th", { scope: "col" }, column.label));
  head.append(headRow);
  const body = element("tbody");
  for (const row of rows) {
    const tr = element("tr");
    for (const column of columns) tr.append(element("td", {}, format(row[column.key])));
    body.append(tr);
  }
  table.append(head, body);
  return table;
}

export function format(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, "");
  }
  return String(value);
}

// Draw (or redraw) a panel. `points` counts the data points drawn; 0 shows the empty note.
export function renderChart(figure, { traces, layout = {}, columns, rows, summary, filename, points }) {
  const plot = figure.querySelector(".plot");
  const count = points ?? rows.length;
  panels.set(figure, { columns, rows, filename: filename || figure.id });
  figure.querySelector(".summary").textContent = summary;
  const wrap = figure.querySelector(".table-wrap");
  wrap.replaceChildren(dataTable(columns, rows));
  figure.querySelector("button.csv").disabled = rows.length === 0;
  const merged = {
    ...BASE_LAYOUT,
    ...layout,
    margin: { ...BASE_LAYOUT.margin, ...(layout.margin || {}) },
  };
  window.Plotly.react(plot, traces, merged, CONFIG);
  figure.dataset.points = String(count);
  figure.dataset.state = count > 0 ? "ready" : "empty";
}

// Show (or, with an empty text, hide) a visible note on what the chart covers, e.g. that it
// ignores a filter; the plot is described by it too, so screen readers hear it with the chart.
export function chartNote(figure, text) {
  const note = figure.querySelector(".scope-note");
  note.textContent = text || "";
  note.hidden = !text;
  const plot = figure.querySelector(".plot");
  const described = [`${figure.id}-summary`, ...(text ? [note.id] : [])];
  plot.setAttribute("aria-describedby", described.join(" "));
}

export function chartError(figure, message) {
  figure.dataset.state = "error";
  figure.dataset.points = "0";
  figure.querySelector(".summary").textContent = message;
}

export function purge(root) {
  for (const plot of root.querySelectorAll(".plot")) {
    if (window.Plotly && plot.classList.contains("js-plotly-plot")) window.Plotly.purge(plot);
  }
}
