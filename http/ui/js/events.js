// The live event stream, GET /api/v1/events, read with fetch() rather than
// EventSource: EventSource cannot send the Authorization header, and the token never
// goes in a URL. The body is read as a stream and its Server-Sent Events parsed here;
// a dropped stream is reopened with Last-Event-ID, so no event the log still holds is
// missed. One stream serves every page.

import { headers, session } from "./api.js";

const listeners = new Set();
const watchers = new Set();
let state = "offline";
let lastId = "";
let stop = null;

// onEvent calls fn with every event (the orchestrator's Event: seq, type, gameId,
// turn, data, createdAt) and answers a function that stops it.
export function onEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// onStreamState calls fn now and whenever the stream's state changes: "connecting",
// "live", "reconnecting" or "offline". It answers a function that stops it.
export function onStreamState(fn) {
  watchers.add(fn);
  fn(state);
  return () => watchers.delete(fn);
}

// startEvents opens the stream, if it is not open yet.
export function startEvents() {
  if (stop) return;
  const ctl = new AbortController();
  stop = () => ctl.abort();
  run(ctl.signal);
}

// stopEvents closes the stream (on sign-out).
export function stopEvents() {
  if (stop) stop();
  stop = null;
  lastId = "";
  setState("offline");
}

function setState(s) {
  if (s === state) return;
  state = s;
  for (const fn of watchers) fn(s);
}

// run keeps the stream open until signal aborts, waiting 1 s, 2 s, … at most 15 s
// between tries.
async function run(signal) {
  let delay = 1000;
  while (!signal.aborted) {
    setState(state === "offline" ? "connecting" : "reconnecting");
    try {
      const h = headers({ Accept: "text/event-stream" });
      if (lastId) h["Last-Event-ID"] = lastId;
      const resp = await fetch("/api/v1/events", { headers: h, signal, cache: "no-store", credentials: "omit" });
      if (resp.status === 401 && !session.authOff) {
        setState("offline");
        return; // the next API call signs the person out
      }
      if (resp.ok && resp.body) {
        setState("live");
        delay = 1000;
        await read(resp.body, signal);
      }
    } catch (e) {
      if (signal.aborted) return;
    }
    setState("reconnecting");
    await new Promise((done) => {
      const t = setTimeout(done, delay);
      signal.addEventListener("abort", () => { clearTimeout(t); done(); }, { once: true });
    });
    delay = Math.min(delay * 2, 15000);
  }
}

// read parses the stream: lines of "field: value", an empty line ends an event, lines
// starting with ":" are comments (galaxyd's keepalives, every 15 s). Nothing for 45 s
// means a dead connection: it is cancelled, and run opens a new one.
async function read(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let timer = 0;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => reader.cancel(), 45000);
  };
  let buf = "";
  let ev = { id: "", type: "", data: [] };
  watch();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      watch();
      buf += value;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (line === "") {
          if (ev.data.length) dispatch(ev);
          ev = { id: "", type: "", data: [] };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") ev.id = val;
        else if (field === "event") ev.type = val;
        else if (field === "data") ev.data.push(val);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function dispatch(ev) {
  if (ev.id) lastId = ev.id;
  let e;
  try {
    e = JSON.parse(ev.data.join("\n"));
  } catch {
    return; // not an event of ours
  }
  if (!e.type) e.type = ev.type;
  for (const fn of listeners) {
    try {
      fn(e);
    } catch (err) {
      console.error("event listener failed", err);
    }
  }
}
