// Calendar days as ISO strings (YYYY-MM-DD), in a given IANA time zone.

export function localDate(instant, timeZone) {
  const options = { year: "numeric", month: "2-digit", day: "2-digit" };
  try {
    return new Intl.DateTimeFormat("en-CA", { ...options, timeZone: timeZone || "UTC" }).format(
      instant instanceof Date ? instant : new Date(instant),
    );
  } catch {
    return new Date(instant).toISOString().slice(0, 10);
  }
}

export function today(timeZone) {
  return localDate(new Date(), timeZone);
}

export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export function weekday(day) {
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0
}

export function mondayOf(day) {
  return addDays(day, -weekday(day));
}

export function humanDate(day) {
  if (!day) return "–";
  return new Date(`${day.slice(0, 10)}T00:00:00Z`).toLocaleDateString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    timeZone: "UTC",
  });
}

export function duration(seconds) {
  const minutes = Math.round((seconds || 0) / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
