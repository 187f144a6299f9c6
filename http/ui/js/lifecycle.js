// The lifecycle actions the console offers, and in which statuses galaxyd accepts
// each: a copy of the transition table (orchestrator/status.go, the README's table),
// kept so that a button that cannot work is disabled rather than answered with a 409.
// http/ui_test.go checks that this copy is the table. galaxyd still decides: its
// answer is shown when it refuses.

export const ALLOWED = /* allowed:begin */{
  "start": ["created", "finished", "stopping", "stopped", "start_failed", "engine_unreachable", "generation_failed", "asleep"],
  "stop": ["starting", "running", "generation_in_progress", "finished", "stopping", "start_failed", "engine_unreachable", "generation_failed", "asleep"],
  "pause": ["created", "starting", "running", "generation_in_progress", "stopping", "stopped", "start_failed", "engine_unreachable", "generation_failed", "asleep"],
  "resume": ["created", "starting", "running", "generation_in_progress", "stopping", "stopped", "start_failed", "engine_unreachable", "generation_failed", "asleep"],
  "restart": ["running", "finished", "stopping", "start_failed", "engine_unreachable", "generation_failed", "asleep"],
  "patch": ["created", "running", "stopped", "start_failed", "engine_unreachable", "generation_failed", "asleep"],
  "force_next_turn": ["running", "engine_unreachable", "generation_failed", "asleep"],
  "remove": ["created", "starting", "running", "generation_in_progress", "finished", "stopping", "stopped", "start_failed", "engine_unreachable", "generation_failed", "asleep"]
}/* allowed:end */;

// PAUSED_REFUSES are the actions a paused game refuses, whatever its status.
export const PAUSED_REFUSES = ["force_next_turn"];

// ACTIONS are the buttons of a game's page, in order. admin marks the operators'
// actions (the lobby token may not run them); confirm is the question asked first.
export const ACTIONS = [
  { op: "start", label: "Start", method: "POST", path: "start" },
  { op: "pause", label: "Pause", method: "POST", path: "pause",
    confirm: "Pause the game? Scheduled turns are skipped and players' orders are refused until it is resumed." },
  { op: "resume", label: "Resume", method: "POST", path: "resume" },
  { op: "stop", label: "Stop", method: "POST", path: "stop", danger: true,
    confirm: "Stop the game's engine? Its state is kept, but nobody can play until it is started again." },
  { op: "force_next_turn", label: "Force next turn", method: "POST", path: "force-next-turn", admin: true,
    confirm: "Generate the next turn now? Orders not sent yet miss it; the schedule keeps its grid." },
  { op: "restart", label: "Restart", method: "POST", path: "restart", admin: true, danger: true,
    confirm: "Restart the game's engine on its state? Players' calls fail while it comes back." },
  { op: "patch", label: "Patch…", method: "POST", path: "patch", admin: true, danger: true,
    confirm: "Move the game to another engine version of the same major.minor? The engine restarts on the new version; if it does not come up, the game keeps its old one.",
    input: "New engine version" },
  { op: "remove", label: "Remove", method: "DELETE", path: "", admin: true, danger: true,
    confirm: "Remove the game? Its engine is stopped and its state deleted. This cannot be undone." },
];

// allowed reports whether galaxyd accepts action op for a game's runtime now.
export function allowed(op, runtime) {
  if (runtime.paused && PAUSED_REFUSES.includes(op)) return false;
  if (op === "pause" && runtime.paused) return false;
  if (op === "resume" && !runtime.paused) return false;
  return (ALLOWED[op] || []).includes(runtime.status);
}
