package orchestrator

import "fmt"

// Statuses lists every runtime status in lifecycle order. It is the one list of them:
// the transition table, the API's documentation and the metrics all range over it.
var Statuses = []string{
	StatusCreated, StatusStarting, StatusRunning, StatusGenerationInProgress, StatusFinished,
	StatusStopping, StatusStopped, StatusStartFailed, StatusEngineUnreachable,
	StatusGenerationFailed, StatusRemoved, StatusAsleep,
}

// Action is anything that may change a game's status: an operation asked for through
// the API, a scheduler tick, or a correction of the reconciler. Every Action has a row
// in the transition table, for every status.
type Action string

// Actions. The first ones are the operations of the same name; the reconciler's
// corrections run as operations too (ensure as "start", halt as "stop" or "remove",
// refresh as "refresh"), with source "reconciler".
const (
	ActStart         Action = "start"
	ActStop          Action = "stop"
	ActPause         Action = "pause"
	ActResume        Action = "resume"
	ActRestart       Action = "restart"
	ActPatch         Action = "patch"
	ActForceNextTurn Action = "force_next_turn"
	ActTurn          Action = "turn"
	ActRemove        Action = "remove"
	// ActEnsure brings back the engine of a game that should run, or adopts an engine
	// that runs and answers for a game whose start "failed" (it succeeded late).
	ActEnsure Action = "ensure"
	// ActHalt stops an engine that runs although its game should not (and removes it,
	// state included, for a removed game).
	ActHalt Action = "halt"
	// ActRefresh records where an engine runs now (endpoint, allocation, node).
	ActRefresh Action = "refresh"
	// ActArchive archives the snapshot of a game whose archive lags its turns.
	ActArchive Action = "archive"
	// ActRollback restores an archived turn (admin); ActTransfer moves the engine to
	// another node through the archive (admin, and the drainer).
	ActRollback Action = "rollback"
	ActTransfer Action = "transfer"
	// ActSleep puts an idle engine to sleep (final snapshot archived, engine stopped);
	// ActWake brings it back (restored from the archive if its volume is gone).
	ActSleep Action = "sleep"
	ActWake  Action = "wake"
)

// Actions lists every Action, in the order of the README's table.
var Actions = []Action{ActStart, ActStop, ActPause, ActResume, ActRestart, ActPatch, ActForceNextTurn, ActTurn, ActRemove, ActEnsure, ActHalt, ActRefresh, ActArchive, ActRollback, ActTransfer, ActSleep, ActWake}

// Keep, as a status in a Transition, means "the status does not change".
const Keep = ""

// Transition is one cell of the table: what an action does to a game in one status.
type Transition struct {
	// Refused is the error code when the action is not allowed in this status (the other
	// fields are then unused); "" means allowed.
	Refused string
	// Queued is the status written when the action is accepted, in the same
	// transaction as its operation.
	Queued string
	// Succeeded and Failed are the statuses the action leaves when it ends. They apply
	// only while the game is still in the status the action queued it in: a later
	// action that changed the status meanwhile (a stop queued behind a start) owns it.
	Succeeded string
	Failed    string
	// Down is the status of a failure that left no engine answering; Keep means Failed.
	// A patch that fails while the old engine runs on keeps the game running; one that
	// also lost the old engine is start_failed.
	Down string
}

// Allowed reports whether the action may run.
func (t Transition) Allowed() bool { return t.Refused == "" }

// refuse and to build cells; see transitions.
func refuse(code string) Transition { return Transition{Refused: code} }

func to(queued, succeeded, failed, down string) Transition {
	return Transition{Queued: queued, Succeeded: succeeded, Failed: failed, Down: down}
}

// Short names for the table below.
const (
	cr  = StatusCreated
	sg  = StatusStarting
	ru  = StatusRunning
	gip = StatusGenerationInProgress
	fi  = StatusFinished
	sp  = StatusStopping
	st  = StatusStopped
	sf  = StatusStartFailed
	eu  = StatusEngineUnreachable
	gf  = StatusGenerationFailed
	rm  = StatusRemoved
	as  = StatusAsleep
)

// transitions is the one place that decides which action may run in which status and
// where it leads. Every code path asks it (Transitions); TestTransitions checks that
// every action has a row for every status, and the README shows it.
var transitions = map[Action]map[string]Transition{
	// Start runs the engine (init once; never again). A finished game's engine may be
	// started to serve reports; it stays finished.
	ActStart: {
		cr: to(sg, ru, sf, Keep), sg: refuse(ECONFLICT), ru: refuse(ECONFLICT), gip: refuse(ECONFLICT),
		fi: to(Keep, Keep, Keep, Keep), sp: to(sg, ru, sf, Keep), st: to(sg, ru, sf, Keep),
		sf: to(sg, ru, sf, Keep), eu: to(sg, ru, sf, Keep), gf: to(sg, ru, sf, Keep), rm: refuse(ECONFLICT),
		as: to(sg, ru, sf, Keep),
	},
	// Stop stops the engine and keeps its state. A stop that fails leaves the game
	// stopping, with the reason in lastError: stop again, start or restart lead out.
	ActStop: {
		cr: refuse(ECONFLICT), sg: to(sp, st, sp, Keep), ru: to(sp, st, sp, Keep), gip: to(sp, st, sp, Keep),
		fi: to(Keep, Keep, Keep, Keep), sp: to(sp, st, sp, Keep), st: refuse(ECONFLICT),
		sf: to(sp, st, sp, Keep), eu: to(sp, st, sp, Keep), gf: to(sp, st, sp, Keep), rm: refuse(ECONFLICT),
		as: to(sp, st, sp, Keep),
	},
	// Pause and resume flip the paused flag beside the status.
	ActPause: {
		cr: to(Keep, Keep, Keep, Keep), sg: to(Keep, Keep, Keep, Keep), ru: to(Keep, Keep, Keep, Keep), gip: to(Keep, Keep, Keep, Keep),
		fi: refuse(EGAMEFINISHED), sp: to(Keep, Keep, Keep, Keep), st: to(Keep, Keep, Keep, Keep),
		sf: to(Keep, Keep, Keep, Keep), eu: to(Keep, Keep, Keep, Keep), gf: to(Keep, Keep, Keep, Keep), rm: refuse(ECONFLICT),
		as: to(Keep, Keep, Keep, Keep),
	},
	ActResume: {
		cr: to(Keep, Keep, Keep, Keep), sg: to(Keep, Keep, Keep, Keep), ru: to(Keep, Keep, Keep, Keep), gip: to(Keep, Keep, Keep, Keep),
		fi: refuse(EGAMEFINISHED), sp: to(Keep, Keep, Keep, Keep), st: to(Keep, Keep, Keep, Keep),
		sf: to(Keep, Keep, Keep, Keep), eu: to(Keep, Keep, Keep, Keep), gf: to(Keep, Keep, Keep, Keep), rm: refuse(ECONFLICT),
		as: to(Keep, Keep, Keep, Keep),
	},
	// Restart stops the engine and starts it again, never re-initialising. A running
	// game stays running meanwhile (player calls get 503 + Retry-After while its engine
	// is down); a restart whose engine does not come back is start_failed.
	ActRestart: {
		cr: refuse(ECONFLICT), sg: refuse(ECONFLICT), ru: to(Keep, ru, Keep, sf), gip: refuse(ECONFLICT),
		fi: to(Keep, Keep, Keep, Keep), sp: to(sg, ru, sf, Keep), st: refuse(ECONFLICT),
		sf: to(sg, ru, sf, Keep), eu: to(sg, ru, sf, Keep), gf: to(sg, ru, sf, Keep), rm: refuse(ECONFLICT),
		as: to(sg, ru, sf, Keep),
	},
	// Patch moves the game to a newer engine version within its major.minor. A game
	// without an engine only records the version; a failed game is started on it; a
	// running game whose new engine does not come up stays running on the old one.
	ActPatch: {
		cr: to(Keep, Keep, Keep, Keep), sg: refuse(ECONFLICT), ru: to(Keep, ru, Keep, sf), gip: refuse(ECONFLICT),
		fi: refuse(EGAMEFINISHED), sp: refuse(ECONFLICT), st: to(Keep, Keep, Keep, Keep),
		sf: to(sg, ru, sf, Keep), eu: to(sg, ru, sf, Keep), gf: to(sg, ru, sf, Keep), rm: refuse(ECONFLICT),
		as: to(Keep, Keep, Keep, Keep),
	},
	// A forced turn runs now (the next deadline stays on the grid); it is also how an
	// operator retries a failed turn.
	ActForceNextTurn: {
		cr: refuse(ECONFLICT), sg: refuse(ECONFLICT), ru: to(gip, ru, gf, eu), gip: refuse(ECONFLICT),
		fi: refuse(EGAMEFINISHED), sp: refuse(ECONFLICT), st: refuse(ECONFLICT),
		sf: refuse(ECONFLICT), eu: to(gip, ru, gf, eu), gf: to(gip, ru, gf, eu), rm: refuse(ECONFLICT),
		as: to(gip, ru, gf, eu),
	},
	// A scheduled turn runs only on a running game; in any other status its tick is
	// stale and passes.
	ActTurn: {
		cr: refuse(ECONFLICT), sg: refuse(ECONFLICT), ru: to(gip, ru, gf, eu), gip: refuse(ECONFLICT),
		fi: refuse(EGAMEFINISHED), sp: refuse(ECONFLICT), st: refuse(ECONFLICT),
		sf: refuse(ECONFLICT), eu: refuse(ECONFLICT), gf: refuse(ECONFLICT), rm: refuse(ECONFLICT),
		as: refuse(ECONFLICT),
	},
	// Remove stops the engine and deletes its state; the records stay, removed.
	ActRemove: {
		cr: to(sp, rm, sp, Keep), sg: to(sp, rm, sp, Keep), ru: to(sp, rm, sp, Keep), gip: to(sp, rm, sp, Keep),
		fi: to(sp, rm, sp, Keep), sp: to(sp, rm, sp, Keep), st: to(sp, rm, sp, Keep),
		sf: to(sp, rm, sp, Keep), eu: to(sp, rm, sp, Keep), gf: to(sp, rm, sp, Keep), rm: refuse(ECONFLICT),
		as: to(sp, rm, sp, Keep),
	},
	// Ensure (reconciler) brings back an engine that should run. An engine that runs
	// and answers for a start_failed game is adopted: the start succeeded late. After a
	// failed turn the game stays failed for an operator, except when the engine was
	// only unreachable: then it runs again and the turn follows on its grid.
	ActEnsure: {
		cr: refuse(ECONFLICT), sg: to(Keep, ru, sf, Keep), ru: to(Keep, ru, sf, Keep), gip: to(Keep, Keep, Keep, Keep),
		fi: refuse(ECONFLICT), sp: refuse(ECONFLICT), st: refuse(ECONFLICT),
		sf: to(Keep, ru, Keep, Keep), eu: to(Keep, ru, Keep, Keep), gf: to(Keep, Keep, Keep, Keep), rm: refuse(ECONFLICT),
		as: refuse(ECONFLICT),
	},
	// Halt (reconciler) stops an engine that runs although its game should not; for a
	// removed game it removes the engine's state too. It never stops an engine of a game
	// that should run, nor a finished game's (which serves reports).
	ActHalt: {
		cr: to(Keep, Keep, Keep, Keep), sg: refuse(ECONFLICT), ru: refuse(ECONFLICT), gip: refuse(ECONFLICT),
		fi: refuse(ECONFLICT), sp: to(Keep, st, Keep, Keep), st: to(Keep, Keep, Keep, Keep),
		sf: to(Keep, Keep, Keep, Keep), eu: refuse(ECONFLICT), gf: refuse(ECONFLICT), rm: to(Keep, Keep, Keep, Keep),
		as: to(Keep, Keep, Keep, Keep),
	},
	// Archive (reconciler) takes a lagging game's snapshot: only where an engine should
	// run (or serves a finished game), and never beside a turn being generated, which
	// archives its own.
	ActArchive: {
		cr: refuse(ECONFLICT), sg: refuse(ECONFLICT), ru: to(Keep, Keep, Keep, Keep), gip: refuse(ECONFLICT),
		fi: to(Keep, Keep, Keep, Keep), sp: refuse(ECONFLICT), st: refuse(ECONFLICT),
		sf: refuse(ECONFLICT), eu: to(Keep, Keep, Keep, Keep), gf: to(Keep, Keep, Keep, Keep), rm: refuse(ECONFLICT),
		as: refuse(ECONFLICT),
	},
	// Rollback restores an archived turn's snapshot over the running engine; the game
	// goes on from that turn, in a new history line (it can itself be undone). A
	// finished game rolled back plays again.
	ActRollback: {
		cr: refuse(ECONFLICT), sg: refuse(ECONFLICT), ru: to(Keep, ru, Keep, Keep), gip: refuse(ECONFLICT),
		fi: to(Keep, ru, Keep, Keep), sp: refuse(ECONFLICT), st: refuse(ECONFLICT),
		sf: refuse(ECONFLICT), eu: to(Keep, ru, Keep, Keep), gf: to(Keep, ru, Keep, Keep), rm: refuse(ECONFLICT),
		as: refuse(ECONFLICT),
	},
	// Transfer moves the engine to another node: final snapshot, old placement
	// released, a new engine restored from the archive. One that fails to come up
	// elsewhere leaves the game start_failed with its state safe in the archive. A
	// start_failed game is moved too (its node may be the reason: the reconciler's
	// attempts to bring back the engine of a lost node fail there before the node
	// counts as lost), and so is a sleeping game whose volume stays on its node: both
	// run on the new node.
	ActTransfer: {
		cr: refuse(ECONFLICT), sg: refuse(ECONFLICT), ru: to(Keep, ru, Keep, sf), gip: refuse(ECONFLICT),
		fi: to(Keep, Keep, Keep, Keep), sp: refuse(ECONFLICT), st: refuse(ECONFLICT),
		sf: to(Keep, ru, Keep, Keep), eu: to(Keep, ru, Keep, sf), gf: to(Keep, Keep, Keep, Keep), rm: refuse(ECONFLICT),
		as: to(Keep, ru, Keep, Keep),
	},
	// Sleep stops an idle engine between turns, its state archived first; a failed
	// sleep leaves the engine running. Wake brings it back, before its turn or at a
	// player's call; a failed wake leaves it asleep (and is tried again).
	ActSleep: {
		cr: refuse(ECONFLICT), sg: refuse(ECONFLICT), ru: to(Keep, as, Keep, Keep), gip: refuse(ECONFLICT),
		fi: to(Keep, as, Keep, Keep), sp: refuse(ECONFLICT), st: refuse(ECONFLICT),
		sf: refuse(ECONFLICT), eu: refuse(ECONFLICT), gf: refuse(ECONFLICT), rm: refuse(ECONFLICT),
		as: refuse(ECONFLICT),
	},
	ActWake: {
		cr: refuse(ECONFLICT), sg: refuse(ECONFLICT), ru: refuse(ECONFLICT), gip: refuse(ECONFLICT),
		fi: refuse(ECONFLICT), sp: refuse(ECONFLICT), st: refuse(ECONFLICT),
		sf: refuse(ECONFLICT), eu: refuse(ECONFLICT), gf: refuse(ECONFLICT), rm: refuse(ECONFLICT),
		as: to(Keep, ru, Keep, Keep),
	},
	// Refresh records the engine's placement; it changes no status.
	ActRefresh: {
		cr: to(Keep, Keep, Keep, Keep), sg: to(Keep, Keep, Keep, Keep), ru: to(Keep, Keep, Keep, Keep), gip: to(Keep, Keep, Keep, Keep),
		fi: to(Keep, Keep, Keep, Keep), sp: to(Keep, Keep, Keep, Keep), st: to(Keep, Keep, Keep, Keep),
		sf: to(Keep, Keep, Keep, Keep), eu: to(Keep, Keep, Keep, Keep), gf: to(Keep, Keep, Keep, Keep), rm: refuse(ECONFLICT),
		as: to(Keep, Keep, Keep, Keep),
	},
}

// statusRule is what a status means besides its transitions: whether the game's engine
// should run, and which code refuses players' orders and reports ("" lets them through).
type statusRule struct {
	active  bool
	orders  string
	reports string
}

// statusRules is the one home of those meanings (DESIGN §3's orders-accept rule among
// them). A paused game refuses orders with EGAMEPAUSED before this rule is asked.
var statusRules = map[string]statusRule{
	cr:  {orders: EGAMENOTRUNNING, reports: EGAMENOTRUNNING},
	sg:  {orders: EGAMENOTRUNNING, reports: EGAMENOTRUNNING},
	ru:  {active: true},
	gip: {active: true, orders: ETURNCLOSED},
	fi:  {orders: EGAMEFINISHED},
	sp:  {orders: EGAMENOTRUNNING, reports: EGAMENOTRUNNING},
	st:  {orders: EGAMENOTRUNNING, reports: EGAMENOTRUNNING},
	sf:  {orders: EGAMENOTRUNNING, reports: EGAMENOTRUNNING},
	eu:  {active: true, orders: EUNAVAILABLE},
	gf:  {active: true, orders: ETURNCLOSED},
	rm:  {orders: ENOTFOUND, reports: ENOTFOUND},
	as:  {}, // orders and reports go through, after a wake (reports from the archive)
}

// pausedRefuses lists the actions a paused game refuses whatever its status.
var pausedRefuses = map[Action]bool{ActForceNextTurn: true, ActTurn: true}

// Transitions returns the cell of the table for act in status. A status or action
// missing from the table is refused with EINTERNAL: a bug, caught by TestTransitions.
func Transitions(act Action, status string) Transition {
	row, ok := transitions[act]
	if !ok {
		return refuse(EINTERNAL)
	}
	t, ok := row[status]
	if !ok {
		return refuse(EINTERNAL)
	}
	return t
}

// accept asks the table whether act may run on r and moves r to the queued status. It
// returns the coded error the table gives, with a message naming the game and status.
func accept(act Action, r *Runtime) error {
	if r.Paused && pausedRefuses[act] {
		return Errorf(EGAMEPAUSED, "game %s is paused; resume it first", r.GameID)
	}
	t := Transitions(act, r.Status)
	if !t.Allowed() {
		return refused(act, r, t.Refused)
	}
	if t.Queued != Keep {
		r.Status = t.Queued
	}
	return nil
}

func refused(act Action, r *Runtime, code string) error {
	switch {
	case code == EGAMEFINISHED:
		return Errorf(code, "game %s is finished", r.GameID)
	case act == ActForceNextTurn && r.PendingTurn > 0:
		return Errorf(code, "turn %d of game %s is already being generated", r.PendingTurn, r.GameID)
	}
	return Errorf(code, "cannot %s game %s in status %s", actionVerb(act), r.GameID, r.Status)
}

func actionVerb(act Action) string {
	switch act {
	case ActForceNextTurn, ActTurn:
		return "generate a turn of"
	}
	return string(act)
}

// queuedStatus is the status act left the game in when it was accepted from status.
func queuedStatus(act Action, from string) string {
	if q := Transitions(act, from).Queued; q != Keep {
		return q
	}
	return from
}

// settle moves r to the status act's outcome gives, when r is still where act queued
// it (from is the status act was accepted in; "" for operations written before the
// table, which settle unconditionally). ok is the outcome; down says a failure left no
// engine answering. It reports whether the outcome applied.
func settle(act Action, from string, r *Runtime, ok, down bool) bool {
	if from == "" {
		from = r.Status
	}
	if r.Status != queuedStatus(act, from) {
		return false // a later action owns the status now
	}
	t := Transitions(act, from)
	next := t.Succeeded
	if !ok {
		next = t.Failed
		if down && t.Down != Keep {
			next = t.Down
		}
	}
	if next != Keep {
		r.Status = next
	}
	return true
}

// actionOf names the table row an operation runs under.
func actionOf(op *Operation) Action {
	if op.Source == SourceReconciler {
		switch op.Op {
		case OpStart:
			return ActEnsure
		case OpStop, OpRemove:
			// The reconciler never stops a game that should run: its stops are halts.
			return ActHalt
		case OpRefresh:
			return ActRefresh
		case OpArchive:
			return ActArchive
		}
	}
	return Action(op.Op)
}

// String makes a Transition readable in test failures.
func (t Transition) String() string {
	if !t.Allowed() {
		return "refused " + t.Refused
	}
	name := func(s string) string {
		if s == Keep {
			return "="
		}
		return s
	}
	return fmt.Sprintf("%s → %s / %s / %s", name(t.Queued), name(t.Succeeded), name(t.Failed), name(t.Down))
}
