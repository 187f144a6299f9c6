// How times, durations and figures read on the page: local time for people, the ISO
// time in <time datetime> for machines.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

// localTime is an ISO time as the reader's local date and time ("" for none).
export function localTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : dateTime.format(d);
}

// countdown is the time left until iso, as "in 4:05", "in 2:03:04", "in 3 d 4 h",
// or "due" once it has passed.
export function countdown(iso, now = Date.now()) {
  if (!iso) return "";
  const left = Math.round((new Date(iso).getTime() - now) / 1000);
  if (!(left > 0)) return "due";
  const d = Math.floor(left / 86400), hh = Math.floor(left % 86400 / 3600);
  const mm = Math.floor(left % 3600 / 60), ss = left % 60;
  const two = (n) => String(n).padStart(2, "0");
  if (d > 0) return `in ${d} d ${hh} h`;
  if (hh > 0) return `in ${hh}:${two(mm)}:${two(ss)}`;
  return `in ${mm}:${two(ss)}`;
}

// duration is the time between two ISO times, as "850 ms", "4.2 s" or "3 min".
export function duration(from, to) {
  if (!from || !to) return "";
  const ms = new Date(to) - new Date(from);
  if (!(ms >= 0)) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60000)} min`;
}

// figure is a number for reading: at most two decimals, grouped digits.
export function figure(n) {
  return typeof n === "number" ? number.format(n) : "";
}

// shortId is the first block of a UUID, enough to tell games apart on a page.
export function shortId(id) {
  return String(id || "").slice(0, 8);
}

// words turns an API word (generation_in_progress, force_next_turn) into words.
export function words(s) {
  return String(s || "").replaceAll("_", " ");
}
