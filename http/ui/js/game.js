// A game's page (#/games/{id}): its runtime, the lifecycle buttons the token may use,
// its players with their latest figures, charts of the figures over turns, and the
// operations timeline (admin). Events about the game refresh it live.

import { del, gamePath, get, isAdmin, post } from "./api.js";
import { lineChart } from "./chart.js";
import { paintSwatches, raceColour } from "./colours.js";
import { ask } from "./confirm.js";
import { h, problem, replace } from "./dom.js";
import { onEvent, onStreamState } from "./events.js";
import { countdown, figure, localTime, shortId, words } from "./format.js";
import { healthBadge, statusBadge } from "./games.js";
import { ACTIONS, allowed } from "./lifecycle.js";
import { timeline } from "./timeline.js";

// gamePage renders game id into main and answers the function that tears it down.
export function gamePage(main, id) {
  let game = null;
  const head = h("div", { class: "title" });
  const facts = h("dl", { class: "facts", id: "facts" });
  const actions = h("div", { class: "actions", role: "group", "aria-label": "Lifecycle" });
  const note = h("div", { id: "action-note", role: "status", "aria-live": "polite" });
  const players = h("div");
  const charts = h("div", { class: "charts" });
  const ops = h("div");
  const message = h("div");
  replace(main, message, head,
    h("section", { "aria-labelledby": "h-runtime" }, h("h2", { id: "h-runtime" }, "Runtime"), facts),
    h("section", { "aria-labelledby": "h-actions" }, h("h2", { id: "h-actions" }, "Actions"), actions, note),
    h("section", { "aria-labelledby": "h-players" }, h("h2", { id: "h-players" }, "Players"), players),
    h("section", { "aria-labelledby": "h-turns" }, h("h2", { id: "h-turns" }, "Figures over turns"), charts),
    h("section", { "aria-labelledby": "h-ops" }, h("h2", { id: "h-ops" }, "Operations"), ops));

  async function loadGame() {
    try {
      game = await get(gamePath(id));
      document.title = `Game ${shortId(id)} · Galaxy console`;
      replace(message);
      renderHead();
      renderFacts();
      renderActions();
      renderPlayers();
    } catch (e) {
      replace(message, problem(e.status === 404 ? `There is no game ${id}.` : `The game could not be read: ${e.message}`));
    }
  }

  async function loadTurns() {
    try {
      const [{ turns }] = await Promise.all([get(gamePath(id, "turns")), ready]);
      if (game) renderCharts(turns);
    } catch (e) {
      replace(charts, problem(`The figures could not be read: ${e.message}`));
    }
  }

  async function loadOps() {
    if (!isAdmin()) {
      replace(ops, h("p", { class: "empty" }, "The operation log needs the admin token."));
      return;
    }
    try {
      const { operations } = await get(`${gamePath(id, "operations")}?limit=50`);
      replace(ops, timeline(operations));
      if (operations.some((o) => o.status === "queued" || o.status === "running")) again(loadOps);
    } catch (e) {
      replace(ops, problem(`The operations could not be read: ${e.message}`));
    }
  }

  // again reads once more in a moment while an operation is still under way: not
  // every step of an operation is an event.
  const timers = new Set();
  let closed = false;
  function again(fn) {
    if (closed) return;
    const t = setTimeout(() => { timers.delete(t); fn(); }, 700);
    timers.add(t);
  }

  function renderHead() {
    replace(head,
      h("h1", { tabindex: "-1" }, "Game ", h("span", { class: "mono", title: id }, shortId(id))),
      statusBadge(game.runtime.status),
      game.runtime.paused ? h("span", { class: "badge paused" }, "paused") : null,
      h("span", { class: "spacer" }),
      h("a", { class: "button", href: `#/games/${id}/map`, "data-nav": "map" }, "Galaxy map"),
      h("a", { class: "button quiet", href: "#/games" }, "All games"));
  }

  function renderFacts() {
    const r = game.runtime;
    const rows = [
      ["id", "Game id", h("span", { class: "mono" }, game.id)],
      ["status", "Status", words(r.status)],
      ["paused", "Paused", r.paused ? "yes" : "no"],
      ["turn", "Turn", String(r.currentTurn) + (r.pendingTurn ? ` (turn ${r.pendingTurn} being generated)` : "")],
      ["next", "Next turn", r.nextTurnAt ? [h("time", { datetime: r.nextTurnAt }, localTime(r.nextTurnAt)), " ",
        h("span", { class: "countdown", "data-countdown": r.nextTurnAt }, countdown(r.nextTurnAt))] : "—"],
      ["schedule", "Schedule", `${game.schedule.cron} (${game.schedule.timezone || "UTC"})${game.earlyTurn ? ", early turns" : ""}`],
      ["version", "Engine version", r.engineVersion || game.engineVersion],
      ["health", "Engine health", healthBadge(r.engineHealth)],
      ["node", "Node", r.nodeId || "—"],
      ["alloc", "Allocation", r.allocId || "—"],
      ["endpoint", "Endpoint", r.engineEndpoint || "—"],
      ["restarts", "Restarts", String(r.restarts || 0)],
      ["started", "Started", localTime(r.startedAt) || "—"],
      ["created", "Created", localTime(game.createdAt)],
      ["error", "Last error", r.lastError ? h("span", { class: "error-text" }, r.lastError) : "—"],
    ];
    replace(facts, rows.map(([key, label, value]) => h("div", { "data-fact": key }, h("dt", null, label), h("dd", null, value))));
  }

  function renderActions() {
    const r = game.runtime;
    replace(actions, ACTIONS.filter((a) => !a.admin || isAdmin()).map((a) =>
      h("button", { type: "button", "data-action": a.op, class: a.danger ? "danger-outline" : null,
        disabled: !allowed(a.op, r), onclick: () => act(a) }, a.label)));
    if (!isAdmin()) {
      actions.append(h("p", { class: "hint" }, "Signed in with the lobby token: force next turn, restart, patch and remove need the admin token."));
    }
  }

  async function act(a) {
    let body;
    if (a.confirm) {
      let options = [];
      if (a.input) options = await versions();
      const answer = await ask({ title: `${a.label.replace("…", "")} game ${shortId(id)}?`, text: a.confirm,
        ok: a.label.replace("…", ""), danger: a.danger, input: a.input || "", options });
      if (answer === null) return;
      if (a.input) body = { version: answer };
    }
    replace(note, h("p", { class: "hint" }, `${a.label.replace("…", "")}: asking galaxyd…`));
    try {
      const path = gamePath(id, a.path);
      const answer = a.method === "DELETE" ? await del(path) : await post(path, body);
      if (answer && answer.runtime) {
        game = answer; // pause and resume answer the game
        replace(note, h("p", { class: "ok" }, `${words(a.op)}: done.`));
        loadGame();
      } else {
        replace(note, h("p", { class: "ok" }, `${words(a.op)}: queued as operation ${shortId(answer.id)}.`));
        follow(answer.id, a.op);
      }
      loadOps();
    } catch (e) {
      replace(note, problem(`${words(a.op)} was refused: ${e.message}`));
    }
  }

  // follow polls a queued operation until it ends (admin; the lobby token cannot read
  // operations and sees the outcome through the game's events).
  async function follow(opId, op) {
    if (!isAdmin()) return;
    try {
      const o = await get(`/api/v1/operations/${encodeURIComponent(opId)}`);
      if (o.status === "queued" || o.status === "running") return again(() => follow(opId, op));
      replace(note, o.status === "succeeded" ? h("p", { class: "ok" }, `${words(op)}: succeeded.`)
        : problem(`${words(op)} failed: ${o.errorMessage || o.errorCode}`));
      loadGame();
      loadOps();
    } catch (e) {
      replace(note, problem(`${words(op)}: its outcome could not be read: ${e.message}`));
    }
  }

  async function versions() {
    if (!isAdmin()) return [];
    try {
      const { versions } = await get("/api/v1/engine-versions");
      return versions.filter((v) => v.enabled).map((v) => v.version);
    } catch {
      return [];
    }
  }

  function renderPlayers() {
    const figures = new Map((game.runtime.players || []).map((p) => [p.id, p]));
    replace(players, h("div", { class: "scroll" }, h("table", { class: "players", id: "players" },
      h("thead", null, h("tr", null, ["Race", "User id", "Planets", "Population", "Industry", "Ships",
        "Drive", "Weapons", "Shields", "Cargo"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, game.players.map((p, i) => {
        const f = figures.get(p.enginePlayerId) || {};
        const t = f.tech || {};
        return h("tr", { "data-race": p.raceName },
          h("th", { scope: "row" }, h("span", { class: "swatch", "data-colour": i, "aria-hidden": "true" }), " ", p.raceName,
            f.out ? h("span", { class: "badge" }, "out") : null),
          h("td", { class: "mono" }, p.userId),
          ...[f.planets, f.population, f.industry, f.ships || (f.planets !== undefined ? 0 : undefined),
            t.drive, t.weapons, t.shields, t.cargo].map((v) => h("td", { class: "num" }, figure(v))));
      })))));
    paintSwatches(players);
  }

  function renderCharts(turns) {
    if (!turns.length) {
      replace(charts, h("p", { class: "empty" }, "No turn generated yet: the figures appear once the game has started."));
      return;
    }
    const racesOf = game.players.map((p, i) => ({ id: p.enginePlayerId, name: p.raceName, colour: raceColour(i) }));
    const series = (pick) => racesOf.map((r) => ({ name: r.name, colour: r.colour,
      points: turns.flatMap((t) => {
        const p = t.players.find((x) => x.id === r.id);
        return p ? [[t.turn, pick(p)]] : [];
      }) }));
    const chart = (title, pick) => h("figure", { class: "chart-box" }, h("figcaption", null, title), lineChart(title, series(pick)));
    replace(charts,
      h("ul", { class: "legend", "aria-label": "Races" }, racesOf.map((r, i) =>
        h("li", null, h("span", { class: "swatch", "data-colour": i, "aria-hidden": "true" }), r.name))),
      h("div", { class: "chart-grid" },
        chart("Planets", (p) => p.planets || 0),
        chart("Population", (p) => p.population || 0),
        chart("Industry", (p) => p.industry || 0),
        chart("Ships", (p) => p.ships || 0)),
      h("details", null, h("summary", null, "The figures as a table"), figuresTable(turns)));
    paintSwatches(charts);
  }

  const offEvent = onEvent((e) => {
    if (e.gameId !== id) return;
    loadGame();
    loadOps();
    if (e.type === "game.turn_generated" || e.type === "game.started") loadTurns();
  });
  let first = true;
  const offState = onStreamState((st) => {
    if (st !== "live") return;
    if (!first) { loadGame(); loadTurns(); loadOps(); }
    first = false;
  });
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const el of main.querySelectorAll("[data-countdown]")) el.textContent = countdown(el.dataset.countdown, now);
  }, 1000);

  const ready = loadGame();
  loadTurns();
  loadOps();
  return () => { closed = true; offEvent(); offState(); clearInterval(ticker); for (const t of timers) clearTimeout(t); };
}

// figuresTable is every race's figures at every turn, for reading rather than looking.
function figuresTable(turns) {
  return h("div", { class: "scroll" }, h("table", { class: "figures" },
    h("thead", null, h("tr", null, ["Turn", "Race", "Planets", "Population", "Industry", "Ships"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", null, turns.flatMap((t) => t.players.map((p) => h("tr", null,
      h("td", { class: "num" }, String(t.turn)), h("td", null, p.raceName),
      ...[p.planets, p.population, p.industry, p.ships || 0].map((v) => h("td", { class: "num" }, figure(v)))))))));
}
