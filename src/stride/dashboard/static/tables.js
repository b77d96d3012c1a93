// Sortable, filterable tables with a CSV download of what is shown.

import { format } from "./charts.js";
import { downloadCsv } from "./csv.js";

export class SortableTable {
  // columns: [{key, label, numeric?}]; root holds .filter input, .csv button, .table-wrap.
  constructor(root, columns, { filename, caption, rowText }) {
    this.root = root;
    this.columns = columns;
    this.filename = filename;
    this.caption = caption;
    this.rowText = rowText || ((row) => columns.map((c) => row[c.key]).join(" "));
    this.rows = [];
    this.sort = null;
    this.descending = false;
    this.filter = root.querySelector("input.filter");
    if (this.filter) this.filter.addEventListener("input", () => this.draw());
    root.querySelector("button.csv").addEventListener("click", () => downloadCsv(this.filename, this.columns, this.visible()));
  }

  setRows(rows) {
    this.rows = rows;
    this.draw();
  }

  visible() {
    const needle = this.filter ? this.filter.value.trim().toLowerCase() : "";
    let rows = needle ? this.rows.filter((row) => this.rowText(row).toLowerCase().includes(needle)) : [...this.rows];
    if (this.sort) {
      const key = this.sort;
      const sign = this.descending ? -1 : 1;
      rows.sort((a, b) => sign * compare(a[key], b[key]));
    }
    return rows;
  }

  draw() {
    const rows = this.visible();
    const table = document.createElement("table");
    const caption = document.createElement("caption");
    caption.textContent = `${this.caption} (${rows.length} of ${this.rows.length} rows)`;
    const head = document.createElement("thead");
    const tr = document.createElement("tr");
    for (const column of this.columns) {
      const th = document.createElement("th");
      th.scope = "col";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = column.label;
      if (this.sort === column.key) th.setAttribute("aria-sort", this.descending ? "descending" : "ascending");
      button.addEventListener("click", () => {
        this.descending = this.sort === column.key ? !this.descending : Boolean(column.numeric);
        this.sort = column.key;
        this.draw();
        this.root.querySelector(`th[aria-sort] button`).focus();
      });
      th.append(button);
      tr.append(th);
    }
    head.append(tr);
    const body = document.createElement("tbody");
    for (const row of rows) {
      const line = document.createElement("tr");
      for (const column of this.columns) {
        const td = document.createElement("td");
        td.textContent = column.render ? column.render(row[column.key], row) : format(row[column.key]);
        if (column.numeric) td.className = "num";
        line.append(td);
      }
      body.append(line);
    }
    table.append(caption, head, body);
    this.root.querySelector(".table-wrap").replaceChildren(table);
    this.root.dataset.rows = String(rows.length);
    this.root.querySelector("button.csv").disabled = rows.length === 0;
  }
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
}
