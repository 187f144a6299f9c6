// Small SVG line charts, drawn here (no chart library): one line per race over the
// turns, with its axis ticks, and each point's value in a tooltip (<title>).

import { s } from "./dom.js";
import { figure } from "./format.js";

const W = 300, H = 170;
const M = { top: 10, right: 10, bottom: 26, left: 44 };

// lineChart draws series [{name, colour, points: [[turn, value], …]}] titled title.
export function lineChart(title, series) {
  const all = series.flatMap((x) => x.points);
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs, 0), x1 = Math.max(...xs, 1);
  const [y0, y1, yTicks] = niceRange(Math.min(0, ...ys), Math.max(...ys, 1));
  const px = (x) => M.left + (x - x0) / (x1 - x0) * (W - M.left - M.right);
  const py = (y) => H - M.bottom - (y - y0) / (y1 - y0) * (H - M.top - M.bottom);

  const svg = s("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `${title} per race over turns ${x0} to ${x1}` });
  for (const t of yTicks) {
    svg.append(s("line", { class: "grid", x1: M.left, x2: W - M.right, y1: py(t), y2: py(t) }),
      s("text", { class: "tick", x: M.left - 6, y: py(t) + 4, "text-anchor": "end" }, short(t)));
  }
  for (const t of intTicks(x0, x1)) {
    svg.append(s("text", { class: "tick", x: px(t), y: H - M.bottom + 16, "text-anchor": "middle" }, String(t)));
  }
  svg.append(s("line", { class: "axis", x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }),
    s("text", { class: "axis-label", x: W - M.right, y: H - 2, "text-anchor": "end" }, "turn"));
  // Earlier series are drawn wider, so a line that another covers still shows at its
  // edges (races often have the same figures).
  series.forEach((x, i) => {
    const pts = x.points.map(([a, b]) => `${px(a).toFixed(1)},${py(b).toFixed(1)}`).join(" ");
    const width = 2 + 3 * (series.length - 1 - i) / Math.max(1, series.length - 1);
    svg.append(s("polyline", { class: "series", points: pts, stroke: x.colour, "stroke-width": width.toFixed(2) }));
    for (const [a, b] of x.points) {
      svg.append(s("circle", { class: "dot", cx: px(a), cy: py(b), r: 2.5, fill: x.colour },
        s("title", null, `${x.name}, turn ${a}: ${figure(b)}`)));
    }
  });
  return svg;
}

// niceRange widens [lo, hi] to round numbers and answers it with about five ticks.
function niceRange(lo, hi) {
  if (hi - lo < 1e-9) hi = lo + 1;
  const raw = (hi - lo) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw);
  const a = Math.floor(lo / step) * step, b = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let t = a; t <= b + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return [a, b, ticks];
}

// intTicks are whole turns from a to b, at most about eight of them.
function intTicks(a, b) {
  const step = Math.max(1, Math.ceil((b - a) / 8));
  const out = [];
  for (let t = Math.ceil(a); t <= b; t += step) out.push(t);
  return out;
}

// short writes a tick value compactly: 1500 → 1.5k.
function short(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return figure(v);
}
