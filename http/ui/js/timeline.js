// A game's operations as a timeline, newest first (admin: GET …/operations): what was
// asked, by whom, from which status, how it ended and how long it took.

import { h } from "./dom.js";
import { duration, localTime, words } from "./format.js";

// timeline renders the operations list.
export function timeline(ops) {
  if (!ops.length) return h("p", { class: "empty" }, "No operations yet.");
  return h("ol", { class: "timeline", id: "operations" }, ops.map(item));
}

function item(op) {
  const d = op.details || {};
  const facts = [
    op.source && `by ${op.source}`,
    op.fromStatus && `from ${words(op.fromStatus)}`,
    d.turn !== undefined && `turn ${d.turn}`,
    d.version && `version ${d.version}`,
    d.nodeId && `node ${d.nodeId}`,
    op.attempts > 1 && `${op.attempts} attempts`,
    op.retryAt && `retry at ${localTime(op.retryAt)}`,
    duration(op.startedAt || op.createdAt, op.finishedAt) && `took ${duration(op.startedAt || op.createdAt, op.finishedAt)}`,
  ].filter(Boolean);
  return h("li", { class: `op op-${op.status}`, "data-op": op.op },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h("div", { class: "op-head" },
      h("strong", null, words(op.op)), " ",
      h("span", { class: `badge op-status-${op.status}` }, op.status), " ",
      h("time", { datetime: op.createdAt }, localTime(op.createdAt))),
    h("div", { class: "op-facts" }, facts.join(" · ")),
    op.errorMessage ? h("div", { class: "error-text" }, `${op.errorCode ? op.errorCode + ": " : ""}${op.errorMessage}`) : null,
    (op.errorDetails || []).length ? h("ul", { class: "error-text" },
      op.errorDetails.map((x) => h("li", null, `${x.field ? x.field + ": " : ""}${x.message}`))) : null);
}
