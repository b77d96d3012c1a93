// CSV export of a chart's or table's data, built in the browser.

function cell(value) {
  if (value === null || value === undefined) return "";
  let text = typeof value === "number" ? String(value) : String(value);
  // A spreadsheet would run text starting with these as a formula.
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns, rows) {
  const lines = [columns.map((column) => cell(column.label)).join(",")];
  for (const row of rows) lines.push(columns.map((column) => cell(row[column.key])).join(","));
  return lines.join("\r\n") + "\r\n";
}

export function downloadCsv(filename, columns, rows) {
  const blob = new Blob([toCsv(columns, rows)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename.endsWith(".csv") ? filename : `${filename}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
