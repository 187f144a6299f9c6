// The galaxy map (#/games/{id}/map): an SVG of the game's galaxy — planets sized by
// their size and coloured by owner, labelled with name and number; ship groups, and
// the routes of those in hyperspace (origin to destination). Either the game master's
// view (admin: the engine's whole state, GET …/state) or one player's (that race's
// report only, GET …/report with the player's user id in X-Galaxy-User).

import { gamePath, get, isAdmin } from "./api.js";
import { paintSwatches, raceColour, raceIndex, UNOWNED } from "./colours.js";
import { h, problem, replace, s } from "./dom.js";
import { onEvent } from "./events.js";
import { figure, shortId, words } from "./format.js";

const NIL = "00000000-0000-0000-0000-000000000000";
const SOMEONE = -2; // an owner the viewing race cannot see

// mapPage renders the map of game id into main and answers its teardown.
export function mapPage(main, id) {
  let game = null;
  const pick = h("select", { id: "map-view", onchange: () => load() });
  const turn = h("select", { id: "map-turn", onchange: () => load() });
  const turnField = h("span", { class: "field" }, h("label", { for: "map-turn" }, "Turn"), turn);
  const message = h("div");
  const figure_ = h("div", { class: "map-box" });
  const side = h("section", { "aria-label": "Legend" });
  const table = h("div");
  replace(main,
    h("div", { class: "title" }, h("h1", { tabindex: "-1" }, "Galaxy map ", h("span", { class: "mono", title: id }, shortId(id))),
      h("span", { class: "spacer" }), h("a", { class: "button quiet", href: `#/games/${id}`, "data-nav": "game" }, "Back to the game")),
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() },
      h("label", { for: "map-view" }, "View"), pick, turnField),
    message, h("div", { class: "map-layout" }, figure_, h("div", { class: "map-side" }, side, table)));

  async function start() {
    try {
      game = await get(gamePath(id));
    } catch (e) {
      replace(message, problem(`The game could not be read: ${e.message}`));
      return;
    }
    document.title = `Map of ${shortId(id)} · Galaxy console`;
    replace(pick,
      isAdmin() ? h("option", { value: "" }, "Game master: every planet and ship") : null,
      game.players.map((p) => h("option", { value: p.userId }, `${p.raceName}'s report`)));
    fillTurns();
    load();
  }

  function fillTurns() {
    const keep = turn.value;
    replace(turn, h("option", { value: "" }, `latest (${game.runtime.currentTurn})`),
      Array.from({ length: game.runtime.currentTurn + 1 }, (_, t) => h("option", { value: String(t) }, String(t))).reverse());
    turn.value = keep;
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    const user = pick.value;
    turnField.hidden = !user; // the engine's state is only ever the current turn
    try {
      let model;
      if (user) {
        const q = turn.value ? `?turn=${encodeURIComponent(turn.value)}` : "";
        model = fromReport(await get(gamePath(id, "report") + q, { header: { "X-Galaxy-User": user } }), game);
      } else {
        model = fromState(await get(gamePath(id, "state")), game);
      }
      if (mine !== seq) return;
      replace(message);
      draw(model);
    } catch (e) {
      if (mine !== seq) return;
      const why = e.code === "game_not_running" || e.status === 503
        ? `The map needs the game's engine: the game is ${words(game.runtime.status)}. ${e.message}`
        : `The map could not be read: ${e.message}`;
      replace(message, problem(why));
      replace(figure_);
      replace(side);
      replace(table);
    }
  }

  function draw(model) {
    replace(figure_, render(model));
    replace(side, legend(model));
    replace(table, h("details", { open: model.planets.length <= 40 }, h("summary", null, `The ${model.planets.length} planets as a table`), planetTable(model)));
    paintSwatches(side);
    paintSwatches(table);
  }

  const off = onEvent(async (e) => {
    if (e.gameId !== id || e.type !== "game.turn_generated") return;
    try {
      game = await get(gamePath(id));
      fillTurns();
      if (!turn.value || !pick.value) load();
    } catch { /* the next event tries again */ }
  });
  start();
  return off;
}

// fromState reads the engine's state: every planet (owner by race id), every race's
// groups.
export function fromState(st, game) {
  const idx = raceIndex(game);
  const colourOf = (raceId, i) => { const k = idx.ofId(raceId); return k >= 0 ? k : i; };
  const races = (st.races || []).map((r, i) => ({ id: r.id, name: r.name, index: colourOf(r.id, i), home: r.home }));
  const byId = new Map(races.map((r) => [r.id, r]));
  const homes = new Set(races.map((r) => r.home));
  const planets = (st.planets || []).map((p) => {
    const owner = p.owner && p.owner !== NIL ? byId.get(p.owner) : null;
    return { number: p.number, name: p.name, x: p.x, y: p.y, size: p.size, owner: owner ? owner.index : -1,
      ownerName: owner ? owner.name : "", pop: p.pop, ind: p.ind, home: homes.has(p.number) && Boolean(owner) };
  });
  const at = new Map(planets.map((p) => [p.number, p]));
  const groups = [];
  for (const r of st.races || []) {
    const race = byId.get(r.id);
    for (const g of r.groups || []) groups.push(group(at, race.index, race.name, g.ships, g.design, g.planet, g.from, g.dist));
  }
  return { view: "all", turn: st.turn, size: st.size || extent(planets), planets, groups: groups.filter(Boolean), races, self: -1 };
}

// fromReport reads one race's report: its own planets in full, the others' as far as
// it sees them, its groups, the alien groups at planets it sees and the ships flying
// at its planets.
export function fromReport(rep, game) {
  const idx = raceIndex(game);
  const indexOf = (name) => { const i = (rep.races || []).indexOf(name); return i >= 0 ? i : idx.ofName(name); };
  const self = indexOf(rep.race.name);
  const races = (rep.races || []).map((name) => ({ name, index: indexOf(name) }));
  const planets = new Map();
  const put = (p) => planets.set(p.number, { ...(planets.get(p.number) || {}), ...p });
  for (const p of rep.otherPlanets || []) put({ number: p.number, name: String(p.number), x: p.x, y: p.y, size: null, owner: SOMEONE, ownerName: "" });
  for (const p of rep.uninhabitedPlanets || []) put({ number: p.number, name: p.name, x: p.x, y: p.y, size: p.size ?? null, owner: -1, ownerName: "", pop: p.pop });
  for (const p of rep.unidentifiedPlanets || []) put({ number: p.number, name: p.name, x: p.x, y: p.y, size: null, owner: SOMEONE, ownerName: "someone" });
  for (const p of rep.alienPlanets || []) put({ number: p.number, name: p.name, x: p.x, y: p.y, size: p.size, owner: indexOf(p.owner), ownerName: p.owner, pop: p.pop, ind: p.ind });
  for (const p of rep.planets || []) put({ number: p.number, name: p.name, x: p.x, y: p.y, size: p.size, owner: self, ownerName: rep.race.name, pop: p.pop, ind: p.ind, home: p.number === rep.race.home });
  const list = [...planets.values()].sort((a, b) => a.number - b.number);
  const at = new Map(list.map((p) => [p.number, p]));
  const groups = [];
  for (const g of rep.groups || []) groups.push(group(at, self, rep.race.name, g.ships, g.design, g.planet, g.from, g.dist));
  for (const g of rep.alienGroups || []) groups.push(group(at, indexOf(g.race), g.race, g.ships, g.design, g.planet, 0, 0));
  for (const g of rep.incoming || []) groups.push(group(at, SOMEONE, "incoming", 0, "", g.to, g.from, g.dist));
  return { view: rep.race.name, turn: rep.turn, size: rep.size || extent(list), planets: list, groups: groups.filter(Boolean), races, self };
}

// group places a group: at its planet, or — in hyperspace, dist light years short of
// planet, flying from from — on the line between the two.
function group(at, race, raceName, ships, design, planet, from, dist) {
  const to = at.get(planet);
  if (!to) return null;
  const src = from && from !== planet ? at.get(from) : null;
  if (!src || !(dist > 0)) return { race, raceName, ships, design, x: to.x, y: to.y, planet, flying: false };
  const total = Math.hypot(to.x - src.x, to.y - src.y) || 1;
  const f = Math.min(1, dist / total);
  return { race, raceName, ships, design, x: to.x - f * (to.x - src.x), y: to.y - f * (to.y - src.y),
    planet, from, flying: true, src, to, dist };
}

function extent(planets) {
  return Math.max(10, ...planets.map((p) => Math.max(p.x, p.y))) + 3;
}

function colour(i) {
  return i === SOMEONE ? "#d0d4dc" : raceColour(i);
}

// render draws the model as an SVG map.
export function render(m) {
  const k = m.size / 70; // the scale the marks are drawn for: a 70 ly galaxy of 3 races
  const pad = 3 * k;
  const svg = s("svg", { id: "galaxy-map", class: "galaxy", viewBox: `${-pad} ${-pad} ${m.size + 2 * pad} ${m.size + 2 * pad}`,
    role: "img", "aria-label": `Galaxy map, turn ${m.turn}, ${m.view === "all" ? "every race" : m.view + "'s view"}: ${m.planets.length} planets, ${m.groups.length} ship groups` });
  svg.append(s("rect", { class: "space", x: -pad, y: -pad, width: m.size + 2 * pad, height: m.size + 2 * pad }),
    s("rect", { class: "bounds", x: 0, y: 0, width: m.size, height: m.size, "stroke-width": 0.15 * k }));
  const step = m.size > 200 ? 50 : 10;
  for (let v = step; v < m.size; v += step) {
    svg.append(s("line", { class: "grid", x1: v, x2: v, y1: 0, y2: m.size, "stroke-width": 0.06 * k }),
      s("line", { class: "grid", x1: 0, x2: m.size, y1: v, y2: v, "stroke-width": 0.06 * k }));
  }
  const radius = (p) => k * (p.size === null || p.size === undefined ? 0.6 : 0.45 + 1.6 * Math.sqrt(Math.max(0, p.size) / 1000));

  // Routes under everything: flown part dashed, the rest solid, to the destination.
  const routes = s("g", { class: "routes" });
  for (const g of m.groups.filter((x) => x.flying)) {
    const c = colour(g.race);
    routes.append(
      s("line", { class: "route-done", x1: g.src.x, y1: g.src.y, x2: g.x, y2: g.y, stroke: c, "stroke-width": 0.18 * k, "stroke-dasharray": `${0.6 * k} ${0.5 * k}` }),
      s("line", { class: "route", x1: g.x, y1: g.y, x2: g.to.x, y2: g.to.y, stroke: c, "stroke-width": 0.3 * k }));
  }
  svg.append(routes);

  const planets = s("g", { class: "planets" });
  const fs = 1.55 * k;
  // A crowded galaxy labels only owned planets; every planet keeps its tooltip.
  const labelled = m.planets.length > 150 ? m.planets.filter((p) => p.owner >= 0 || p.home) : m.planets;
  const labels = placeLabels(labelled, radius, fs, -pad, m.size + pad);
  for (const p of m.planets) {
    const r = radius(p);
    const known = p.size !== null && p.size !== undefined;
    const c = p.owner >= 0 ? raceColour(p.owner) : p.owner === SOMEONE && p.ownerName ? "#d0d4dc" : UNOWNED;
    const label = labelOf(p);
    const title = [`Planet ${label}`, p.ownerName ? `owner ${p.ownerName}` : p.owner === -1 ? "uninhabited" : "owner unknown",
      known ? `size ${figure(p.size)}` : "size unknown", p.pop !== undefined ? `population ${figure(p.pop)}` : "",
      p.ind !== undefined ? `industry ${figure(p.ind)}` : "", `at ${figure(p.x)}, ${figure(p.y)}`].filter(Boolean).join(", ");
    const gp = s("g", { class: "planet-mark", "data-planet": p.number }, s("title", null, title));
    if (p.home) gp.append(s("circle", { class: "home", cx: p.x, cy: p.y, r: r + 0.55 * k, stroke: c, "stroke-width": 0.18 * k }));
    const hidden = !known && p.owner === SOMEONE && p.ownerName; // another race's, not seen
    gp.append(s("circle", { class: `planet${p.owner >= 0 ? " owned" : ""}${known ? "" : hidden ? " hidden" : " unknown"}`, cx: p.x, cy: p.y, r,
      fill: known ? c : "none", stroke: c, "stroke-width": (known ? 0.12 : 0.2) * k }));
    const at = labels.get(p.number);
    if (at) gp.append(s("text", { class: "label", x: at.x, y: at.y, "text-anchor": at.anchor, "font-size": fs }, label));
    planets.append(gp);
  }
  svg.append(planets);

  // Groups: a diamond each; those orbiting a planet stacked above it.
  const stacked = new Map();
  const groups = s("g", { class: "groups" });
  for (const g of m.groups) {
    let x = g.x, y = g.y;
    if (!g.flying) {
      const n = stacked.get(g.planet) || 0;
      stacked.set(g.planet, n + 1);
      const p = m.planets.find((q) => q.number === g.planet);
      x = g.x - radius(p) - 0.9 * k - n * 1.5 * k;
      y = g.y - radius(p) - 0.6 * k;
    }
    const d = 0.75 * k;
    const what = g.race === SOMEONE ? `Ships of another race flying to #${g.planet}, ${figure(g.dist)} ly away`
      : `${g.raceName}: ${g.ships} ${g.design || "ship"}${g.ships === 1 ? "" : "s"}${g.flying ? ` flying to #${g.planet}, ${figure(g.dist)} ly to go` : ` at #${g.planet}`}`;
    groups.append(s("g", { class: `group${g.flying ? " flying" : ""}` }, s("title", null, what),
      s("polygon", { points: `${x},${y - d} ${x + d},${y} ${x},${y + d} ${x - d},${y}`, fill: colour(g.race), "stroke-width": 0.12 * k }),
      g.ships ? s("text", { class: "ship-count", x, y: y - d - 0.35 * k, "font-size": 1.2 * k, "text-anchor": "middle" }, String(g.ships)) : null));
  }
  svg.append(groups);
  return svg;
}

function labelOf(p) {
  return p.name && p.name !== String(p.number) ? `${p.name} #${p.number}` : `#${p.number}`;
}

// placeLabels puts each planet's label beside it — right, left, below or above,
// whichever covers the fewest other planets and labels — biggest planets first.
function placeLabels(planets, radius, fs, lo, hi) {
  const boxes = planets.map((p) => { const r = radius(p); return [p.x - r, p.y - r, p.x + r, p.y + r]; });
  const placed = [];
  const out = new Map();
  const overlap = (a, b) => Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const order = planets.map((p, i) => i).sort((a, b) => radius(planets[b]) - radius(planets[a]));
  for (const i of order) {
    const p = planets[i];
    const r = radius(p), g = fs * 0.3, w = 0.58 * fs * labelOf(p).length;
    const options = [
      { x: p.x + r + g, y: p.y + 0.35 * fs, anchor: "start", box: [p.x + r + g, p.y - 0.5 * fs, p.x + r + g + w, p.y + 0.5 * fs], cost: 0 },
      { x: p.x - r - g, y: p.y + 0.35 * fs, anchor: "end", box: [p.x - r - g - w, p.y - 0.5 * fs, p.x - r - g, p.y + 0.5 * fs], cost: 0.01 },
      { x: p.x, y: p.y + r + g + 0.8 * fs, anchor: "middle", box: [p.x - w / 2, p.y + r + g, p.x + w / 2, p.y + r + g + fs], cost: 0.02 },
      { x: p.x, y: p.y - r - g - 0.2 * fs, anchor: "middle", box: [p.x - w / 2, p.y - r - g - fs, p.x + w / 2, p.y - r - g], cost: 0.03 },
    ];
    let best = null;
    for (const o of options) {
      let cost = o.cost * fs * fs;
      boxes.forEach((b, j) => { if (j !== i) cost += overlap(o.box, b); });
      for (const b of placed) cost += overlap(o.box, b);
      if (o.box[0] < lo || o.box[2] > hi || o.box[1] < lo || o.box[3] > hi) cost += fs * fs;
      if (!best || cost < best.cost) best = { ...o, cost };
    }
    placed.push(best.box);
    out.set(p.number, best);
  }
  return out;
}

// legend names the races' colours and the marks, and counts what the view holds.
function legend(m) {
  const owned = (i) => m.planets.filter((p) => p.owner === i).length;
  const flying = m.groups.filter((g) => g.flying).length;
  return [
    h("h2", null, m.view === "all" ? "Every race" : `${m.view}'s view`),
    h("p", { class: "hint" }, `Turn ${m.turn}. ${m.planets.length} planets, ${m.groups.length} ship groups (${flying} in hyperspace).`),
    h("ul", { class: "legend column" }, m.races.map((r) => h("li", null,
      h("span", { class: "swatch", "data-colour": r.index, "aria-hidden": "true" }),
      `${r.name}${r.index === m.self ? " (this view)" : ""}: ${plural(owned(r.index), "planet")}${m.view === "all" || r.index === m.self ? "" : " seen"}`))),
    h("ul", { class: "legend column marks" },
      h("li", null, h("span", { class: "mark planet-key", "aria-hidden": "true" }), "planet, sized by its size; ringed: a home planet"),
      m.view === "all" ? h("li", null, h("span", { class: "mark unowned-key", "aria-hidden": "true" }), "grey: uninhabited")
        : [h("li", null, h("span", { class: "mark unseen-key", "aria-hidden": "true" }), "hollow, dashed: uninhabited, not seen by this race (size unknown)"),
          h("li", null, h("span", { class: "mark hidden-key", "aria-hidden": "true" }), "hollow: another race's planet, not seen by this race")],
      h("li", null, h("span", { class: "mark group-key", "aria-hidden": "true" }), "ship group, with its number of ships"),
      h("li", null, h("span", { class: "mark route-key", "aria-hidden": "true" }), "a group in hyperspace: dashed behind it, solid ahead to its destination")),
  ];
}

function plural(n, what) {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function planetTable(m) {
  return h("div", { class: "scroll" }, h("table", { class: "planets-table" },
    h("thead", null, h("tr", null, [["Planet"], ["Owner"], ["Size"], ["Pop.", "Population"], ["Ind.", "Industry"]].map(([c, long]) =>
      h("th", { scope: "col" }, long ? h("abbr", { title: long }, c) : c)))),
    h("tbody", null, m.planets.map((p) => h("tr", null,
      h("th", { scope: "row" }, labelOf(p)),
      h("td", { class: "owner" }, p.owner >= 0 ? [h("span", { class: "swatch", "data-colour": p.owner, "aria-hidden": "true" }), " ", p.ownerName]
        : p.ownerName === "someone" ? "another race" : p.owner === -1 ? "—" : "unknown"),
      ...[p.size, p.pop, p.ind].map((v) => h("td", { class: "num" }, v === null || v === undefined ? "?" : figure(v))))))));
}
