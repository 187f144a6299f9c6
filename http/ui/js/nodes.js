// The nodes page (#/nodes): the cluster's engine nodes as galaxyd lists them (GET
// /api/v1/nodes, admin), as a table — one row per node, one column per field. Where
// the route is missing (a galaxyd from before the cluster drain feature) the page says
// nodes appear once it lands; on the local driver, that there are no nodes.

import { get } from "./api.js";
import { h, replace } from "./dom.js";

// nodesPage renders the page into main.
export function nodesPage(main) {
  const body = h("div", null, h("p", { class: "empty" }, "Reading the nodes…"));
  replace(main, h("div", { class: "title" }, h("h1", { tabindex: "-1" }, "Nodes")), body);
  document.title = "Nodes · Galaxy console";
  load(body);
  return () => {};
}

const WHY = {
  404: "Nodes appear here once the cluster drain feature lands: this galaxyd does not list its nodes yet.",
  403: "The nodes need the admin token.",
};

async function load(body) {
  let data;
  try {
    data = await get("/api/v1/nodes");
  } catch (e) {
    replace(body, h("p", { class: "placeholder", id: "nodes-placeholder", "data-status": e.status || 0 },
      WHY[e.status] || (e.status === 503 ? `galaxyd has no nodes to list: ${e.message}.` : `The nodes could not be read: ${e.message}`),
      " Each game's page shows the node and allocation its engine runs on."));
    return;
  }
  const rows = Array.isArray(data) ? data : Object.values(data || {}).find(Array.isArray) || [];
  if (!rows.length) {
    replace(body, h("p", { class: "empty" }, "galaxyd knows no nodes."));
    return;
  }
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r && typeof r === "object" ? r : { value: r })))];
  const cell = (v) => v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  replace(body, h("div", { class: "scroll" }, h("table", { id: "nodes", class: "nodes" },
    h("thead", null, h("tr", null, cols.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", null, rows.map((r) => h("tr", null, cols.map((c) => h("td", null,
      cell(r && typeof r === "object" ? r[c] : r)))))))));
}
