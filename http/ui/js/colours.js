// A stable colour per race: a race's colour is fixed by its place in the game's
// players (the order the engine keeps its races in), so it is the same on the map, in
// the charts and in every view of the same game.

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
  "#edc948", "#76b7b2", "#ff9da7", "#9c755f", "#8cd17d"];

// UNOWNED is the colour of planets nobody owns (or whose owner the viewer cannot see).
export const UNOWNED = "#8a93a6";

// raceColour is the colour of the race at index i of the game's players.
export function raceColour(i) {
  if (!(i >= 0)) return UNOWNED;
  if (i < PALETTE.length) return PALETTE[i];
  return `hsl(${Math.round((i * 137.508) % 360)}, 65%, 60%)`;
}

// raceIndex maps a game's players to their indexes by engine player id and by race
// name, the two ways views name a race.
export function raceIndex(game) {
  const byId = new Map(), byName = new Map();
  (game.players || []).forEach((p, i) => {
    byId.set(p.enginePlayerId, i);
    byName.set(p.raceName.toLowerCase(), i);
  });
  return {
    ofId: (id) => byId.has(id) ? byId.get(id) : -1,
    ofName: (name) => byName.has(String(name).toLowerCase()) ? byName.get(String(name).toLowerCase()) : -1,
  };
}

// paintSwatches colours the race swatches under el (data-colour is the race's index):
// colours are set through the DOM, since the page allows no inline styles.
export function paintSwatches(el) {
  for (const sw of el.querySelectorAll(".swatch[data-colour]")) sw.style.backgroundColor = raceColour(Number(sw.dataset.colour));
}
