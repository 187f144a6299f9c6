// The sign-in page: the admin token or the lobby token, typed or pasted. It is kept
// in sessionStorage for this tab only and sent as a bearer header; the field is
// emptied once it is read.

import { signIn } from "./api.js";
import { h, problem, replace } from "./dom.js";

// signInPage renders the form into main; done runs once a token was accepted. why,
// when given, says why the person has to sign in (again).
export function signInPage(main, done, why = "") {
  const token = h("input", { id: "token", name: "token", type: "password", autocomplete: "off",
    spellcheck: "false", required: true, "aria-describedby": "token-help" });
  const message = h("div", { role: "alert" }, why ? problem(why) : null);
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { id: "signin", class: "signin", onsubmit: async (e) => {
    e.preventDefault();
    const t = token.value;
    token.value = "";
    button.disabled = true;
    try {
      if (await signIn(t)) return done();
      replace(message, problem("galaxyd does not know that token."));
    } catch (err) {
      replace(message, problem(`Signing in failed: ${err.message}`));
    } finally {
      button.disabled = false;
    }
    token.focus();
  } },
  h("h1", { tabindex: "-1" }, "Sign in"),
  h("label", { for: "token" }, "API token"),
  token,
  h("p", { id: "token-help", class: "hint" },
    "The admin token (GALAXY_ADMIN_TOKEN) may do everything; the lobby token (GALAXY_LOBBY_TOKEN) reads games and starts, stops, pauses and resumes them. ",
    "It is kept for this tab only and sent to galaxyd alone."),
  message, button);
  document.title = "Sign in · Galaxy console";
  replace(main, form);
  token.focus();
}
