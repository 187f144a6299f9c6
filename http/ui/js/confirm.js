// The confirmation dialog (the <dialog id="confirm"> of index.html): asked before an
// action that stops, removes, restarts, patches or pauses a game.

import { h, replace } from "./dom.js";

// ask shows the dialog and answers true (or the typed value, when input names a
// field) when the person confirms, null when they cancel or press Escape. options
// are suggestions for the field.
export function ask({ title, text, ok, danger = false, input = "", value = "", options = [] }) {
  const dlg = document.getElementById("confirm");
  const field = document.getElementById("confirm-input");
  const okButton = document.getElementById("confirm-ok");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-field").hidden = !input;
  document.getElementById("confirm-label").textContent = input;
  replace(document.getElementById("confirm-options"), options.map((o) => h("option", { value: o })));
  field.value = value;
  field.required = Boolean(input);
  okButton.textContent = ok;
  okButton.className = danger ? "danger" : "primary";
  dlg.returnValue = "";
  return new Promise((done) => {
    dlg.addEventListener("close", () => {
      if (dlg.returnValue !== "ok") return done(null);
      done(input ? field.value.trim() || null : true);
    }, { once: true });
    dlg.showModal();
    (input ? field : dlg.querySelector("button[value=cancel]")).focus();
  });
}
