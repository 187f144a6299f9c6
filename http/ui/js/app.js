// The console's entry point: finds out whether a sign-in is needed, keeps the header
// (role, live stream state, sign-out) and routes the #/… address to its page. Routes
// carry only game ids, never a token.

import { detect, forget, session, whenUnauthorized } from "./api.js";
import { onStreamState, startEvents, stopEvents } from "./events.js";
import { gamePage } from "./game.js";
import { gamesPage } from "./games.js";
import { mapPage } from "./map.js";
import { nodesPage } from "./nodes.js";
import { signInPage } from "./signin.js";

const UUID = "([0-9a-fA-F-]{36})";
const ROUTES = [
  [new RegExp(`^#/games/${UUID}/map$`), "games", (main, [id]) => mapPage(main, id)],
  [new RegExp(`^#/games/${UUID}$`), "games", (main, [id]) => gamePage(main, id)],
  [/^#\/games$/, "games", (main) => gamesPage(main)],
  [/^#\/nodes$/, "nodes", (main) => nodesPage(main)],
];

const main = document.getElementById("main");
const who = document.getElementById("who");
const signout = document.getElementById("signout");
let teardown = () => {};
let signedIn = false;

function route() {
  if (!signedIn) return;
  const hash = location.hash || "#/games";
  const hit = ROUTES.find(([re]) => re.test(hash));
  if (!hit) {
    location.replace("#/games");
    return;
  }
  teardown();
  const [re, nav, page] = hit;
  for (const a of document.querySelectorAll("nav a[data-nav]")) {
    if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = "Galaxy console";
  teardown = page(main, hash.match(re).slice(1)) || (() => {});
  // Focus moves to the new page (its heading once drawn), so a screen reader starts there.
  (main.querySelector("h1") || main).focus({ preventScroll: true });
}

function enter() {
  signedIn = true;
  who.textContent = session.authOff ? "no tokens (galaxyd -dev)" : `signed in: ${session.role} token`;
  who.dataset.role = session.role;
  signout.hidden = session.authOff;
  startEvents();
  route();
}

function leave(why) {
  signedIn = false;
  teardown();
  teardown = () => {};
  forget();
  stopEvents();
  who.textContent = "";
  signout.hidden = true;
  signInPage(main, enter, why);
}

const live = document.getElementById("live");
onStreamState((st) => {
  live.dataset.state = st;
  live.textContent = { live: "live", connecting: "connecting…", reconnecting: "reconnecting…", offline: "offline" }[st];
  live.title = st === "live" ? "Updates arrive from galaxyd's event stream as they happen" : "";
});

// The skip link moves focus without touching the route.
document.querySelector(".skip").addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
signout.addEventListener("click", () => leave(""));
whenUnauthorized(() => { if (signedIn) leave("galaxyd no longer accepts the token: sign in again."); });
window.addEventListener("hashchange", route);

detect().then((ok) => ok ? enter() : leave(""), (e) => leave(`galaxyd could not be reached: ${e.message}`));
