// The games list (#/games): every game with its status, paused flag, turn, next turn
// (local time and a live countdown), engine health, node and last error; filtered by
// status and text, sorted by any column, updated live from the event stream.

import { get } from "./api.js";
import { h, replace, problem } from "./dom.js";
import { onEvent, onStreamState } from "./events.js";
import { countdown, localTime, shortId, words } from "./format.js";

// STATUSES are the runtime statuses in lifecycle order (orchestrator.Statuses;
// http/ui_test.go checks the copy).
export const STATUSES = /* statuses:begin */["created", "starting", "running", "generation_in_progress", "finished", "stopping",
  "stopped", "start_failed", "engine_unreachable", "generation_failed", "removed", "asleep"]/* statuses:end */;

// COLUMNS: key, heading, and the value a game sorts by.
const COLUMNS = [
  ["game", "Game", (g) => g.id],
  ["races", "Races", (g) => races(g)],
  ["status", "Status", (g) => STATUSES.indexOf(g.runtime.status)],
  ["paused", "Paused", (g) => g.runtime.paused ? 1 : 0],
  ["turn", "Turn", (g) => g.runtime.currentTurn],
  ["next", "Next turn", (g) => g.runtime.nextTurnAt ? Date.parse(g.runtime.nextTurnAt) : Infinity],
  ["health", "Engine", (g) => g.runtime.engineHealth || ""],
  ["node", "Node", (g) => g.runtime.nodeId || ""],
  ["error", "Last error", (g) => g.runtime.lastError || ""],
];

// The filter and sort outlive the page, so coming back to the list keeps them.
const view = { status: "active", text: "", sort: "game", desc: false };

const PAGE = 1000;

// gamesPage renders the list into main and answers the function that tears it down.
export function gamesPage(main) {
  const games = new Map();
  const body = h("tbody");
  const count = h("p", { class: "count", role: "status", "aria-live": "polite" });
  const message = h("div");
  const headRow = h("tr");
  const table = h("table", { id: "games", class: "games" },
    h("caption", { class: "visually-hidden" }, "Games, with their runtime status"),
    h("thead", null, headRow), body);

  const status = h("select", { id: "filter-status", onchange: () => { view.status = status.value; render(); } },
    h("option", { value: "active" }, "any but removed"), h("option", { value: "any" }, "any"),
    STATUSES.map((st) => h("option", { value: st }, words(st))));
  status.value = view.status;
  const text = h("input", { id: "filter-text", type: "search", placeholder: "game id, race, node, error…",
    value: view.text, oninput: () => { view.text = text.value; render(); } });

  replace(main,
    h("div", { class: "title" }, h("h1", { tabindex: "-1" }, "Games"),
      h("button", { type: "button", class: "quiet", onclick: () => loadAll() }, "Refresh")),
    h("form", { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
      h("label", { for: "filter-status" }, "Status"), status,
      h("label", { for: "filter-text" }, "Search"), text),
    message, count, h("div", { class: "scroll" }, table));

  function renderHead() {
    replace(headRow, COLUMNS.map(([key, label]) => {
      const sorted = view.sort === key;
      return h("th", { scope: "col", "aria-sort": sorted ? (view.desc ? "descending" : "ascending") : null },
        h("button", { type: "button", class: "sort", "data-sort": key, onclick: () => sortBy(key) },
          label, h("span", { class: "arrow", "aria-hidden": "true" }, sorted ? (view.desc ? " ▼" : " ▲") : "")));
    }));
  }

  function sortBy(key) {
    view.desc = view.sort === key ? !view.desc : false;
    view.sort = key;
    render();
    headRow.querySelector(`button[data-sort="${key}"]`).focus();
  }

  function visible() {
    const needle = view.text.trim().toLowerCase();
    const list = [...games.values()].filter((g) => {
      const st = g.runtime.status;
      if (view.status === "active" ? st === "removed" : view.status !== "any" && st !== view.status) return false;
      if (!needle) return true;
      const r = g.runtime;
      return [g.id, races(g), st, r.nodeId, r.allocId, r.lastError, g.engineVersion, r.engineHealth]
        .some((v) => String(v || "").toLowerCase().includes(needle));
    });
    const key = COLUMNS.find((c) => c[0] === view.sort)[2];
    list.sort((a, b) => {
      const x = key(a), y = key(b);
      const c = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      return view.desc ? -c : c;
    });
    return list;
  }

  let changed = new Set();
  function render() {
    renderHead();
    const list = visible();
    replace(body, list.length ? list.map((g) => row(g, changed.has(g.id)))
      : h("tr", null, h("td", { colspan: COLUMNS.length, class: "empty" },
        games.size ? "No game matches the filter." : "No games yet. Create one with galaxyctl game create --demo.")));
    changed = new Set();
    count.textContent = `${list.length} of ${games.size} games shown`;
    tick();
  }

  let frame = 0;
  function later() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); });
  }

  // tick rewrites the countdowns, once a second.
  function tick() {
    const now = Date.now();
    for (const el of body.querySelectorAll("[data-countdown]")) el.textContent = countdown(el.dataset.countdown, now);
  }
  const ticker = setInterval(tick, 1000);

  async function loadAll() {
    try {
      const all = new Map();
      for (let after = ""; ;) {
        const page = await get(`/api/v1/games?limit=${PAGE}${after ? "&after=" + after : ""}`);
        for (const g of page.games) all.set(g.id, g);
        if (!page.next) break;
        after = page.next;
      }
      for (const g of all.values()) keep(g);
      replace(message);
      render();
    } catch (e) {
      replace(message, problem(`The games could not be read: ${e.message}`));
    }
  }

  // keep records a game unless a newer copy of it is already there (a list read
  // before an event may be answered after the read the event caused).
  function keep(g) {
    const old = games.get(g.id);
    if (old && Date.parse(old.runtime.updatedAt) > Date.parse(g.runtime.updatedAt)) return false;
    games.set(g.id, g);
    return true;
  }

  // refresh reads one game again after an event about it; overlapping events for the
  // same game make one more read, not one each.
  const busy = new Map();
  async function refresh(id) {
    if (busy.has(id)) { busy.set(id, true); return; }
    busy.set(id, false);
    try {
      if (keep(await get(`/api/v1/games/${encodeURIComponent(id)}`))) changed.add(id);
      later();
    } catch (e) {
      if (e.status === 404) { games.delete(id); later(); }
    } finally {
      const again = busy.get(id);
      busy.delete(id);
      if (again) refresh(id);
    }
  }

  const offEvent = onEvent((e) => { if (e.gameId) refresh(e.gameId); });
  // After a gap in the stream everything is read again; the first "live" is the load.
  let first = true;
  const offState = onStreamState((st) => {
    if (st !== "live") return;
    if (!first) loadAll();
    first = false;
  });
  renderHead();
  loadAll();
  return () => { clearInterval(ticker); cancelAnimationFrame(frame); offEvent(); offState(); };
}

function races(g) {
  return (g.players || []).map((p) => p.raceName).join(", ");
}

// row is one game's line of the table.
function row(g, flash) {
  const r = g.runtime;
  const next = r.nextTurnAt
    ? [h("time", { datetime: r.nextTurnAt }, localTime(r.nextTurnAt)),
      h("span", { class: "countdown", "data-countdown": r.nextTurnAt }, countdown(r.nextTurnAt))]
    : h("span", { class: "none" }, r.paused ? "paused" : "—");
  return h("tr", { "data-game-id": g.id, class: flash ? "flash" : null },
    h("td", { "data-col": "game" }, h("a", { href: `#/games/${g.id}`, title: g.id, class: "mono" }, shortId(g.id))),
    h("td", { "data-col": "races", title: races(g) }, races(g)),
    h("td", { "data-col": "status" }, statusBadge(r.status)),
    h("td", { "data-col": "paused" }, r.paused ? h("span", { class: "badge paused" }, "paused") : h("span", { class: "none" }, "no")),
    h("td", { "data-col": "turn", class: "num" }, String(r.currentTurn)),
    h("td", { "data-col": "next" }, next),
    h("td", { "data-col": "health" }, healthBadge(r.engineHealth)),
    h("td", { "data-col": "node", class: "mono", title: r.allocId ? `allocation ${r.allocId}` : null }, r.nodeId || h("span", { class: "none" }, "—")),
    h("td", { "data-col": "error", class: "error-text", title: r.lastError || null }, r.lastError || ""));
}

// statusBadge shows a runtime status, coloured by what it means.
export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, words(status));
}

// healthBadge shows the engine's health: passing, critical or unknown.
export function healthBadge(health) {
  return h("span", { class: `badge health-${health || "unknown"}` }, health || "unknown");
}
