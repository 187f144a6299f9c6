// Building the page: elements are made with h() and text is always set as text, never
// parsed as HTML, so nothing a game holds (race names, errors) can become markup.

const SVG = "http://www.w3.org/2000/svg";

// h makes an HTML element: h("a", {href: "#/games", class: "x"}, "text", child…).
// Attributes whose value is null, undefined or false are left out; true sets them
// empty. "on…" keys add event listeners. Children may be strings, nodes, arrays or
// null.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s makes an SVG element the same way.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// replace empties el and fills it with children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// problem is a paragraph telling the person what went wrong.
export function problem(text) {
  return h("p", { class: "problem", role: "alert" }, text);
}
