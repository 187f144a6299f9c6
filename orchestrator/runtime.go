package orchestrator

import (
	"encoding/json"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// Runtime statuses (DESIGN §3). Paused is a flag beside the status, not a status.
const (
	StatusCreated              = "created"
	StatusStarting             = "starting"
	StatusRunning              = "running"
	StatusGenerationInProgress = "generation_in_progress"
	StatusFinished             = "finished"
	StatusStopping             = "stopping"
	StatusStopped              = "stopped"
	StatusStartFailed          = "start_failed"
	StatusEngineUnreachable    = "engine_unreachable"
	StatusGenerationFailed     = "generation_failed"
	StatusRemoved              = "removed"
	// StatusAsleep is a running game whose engine sleeps between turns: its state is
	// in the archive, its engine stopped; the scheduler wakes it before its turn and a
	// player's call wakes it at once.
	StatusAsleep = "asleep"
)

// Runtime is the orchestrator's record of one game's engine: what runs where, at which
// turn, and when the next turn is due. There is exactly one per game.
type Runtime struct {
	GameID uuid.UUID `json:"gameId"`
	Status string    `json:"status"`
	Paused bool      `json:"paused"`
	// CurrentTurn is the last turn the engine generated (0 right after init).
	CurrentTurn int `json:"currentTurn"`
	// PendingTurn is non-zero while turn PendingTurn is being generated: it is written
	// before the engine call, so a crash in between replays exactly that turn.
	PendingTurn int `json:"pendingTurn,omitempty"`
	// NextTurnAt is the next slot on the game's grid; nil when no turn is scheduled.
	NextTurnAt   *time.Time `json:"nextTurnAt,omitempty"`
	SkipNextTick bool       `json:"skipNextTick,omitempty"`
	Initialized  bool       `json:"initialized"`

	EngineEndpoint string `json:"engineEndpoint,omitempty"`
	EngineVersion  string `json:"engineVersion,omitempty"`
	ImageRef       string `json:"imageRef,omitempty"`
	JobID          string `json:"jobId,omitempty"`
	JobVersion     uint64 `json:"jobVersion,omitempty"`
	AllocID        string `json:"allocId,omitempty"`
	NodeID         string `json:"nodeId,omitempty"`
	VolumeID       string `json:"volumeId,omitempty"`
	EngineHealth   string `json:"engineHealth,omitempty"`
	// Restarts counts the driver's automatic restarts of a crashed engine.
	Restarts int `json:"restarts,omitempty"`

	// ArchivedTurn is the last turn whose snapshot is in the archive (nil: none yet, or
	// no archive); ArchiveLine the history line of the game's snapshots (0 until the
	// first rollback, one more per rollback).
	ArchivedTurn *int `json:"archivedTurn,omitempty"`
	ArchiveLine  int  `json:"archiveLine,omitempty"`
	// SnapshotsUnsupported says the game's engine speaks the first engine contract,
	// without admin/snapshot and admin/restore: it plays, but nothing of it can be
	// archived, so restore, transfer, drain, sleep, rollback and export are unavailable
	// for it. Set when a snapshot is refused as an unknown route; cleared by the next
	// snapshot archived (a patch to a newer engine).
	SnapshotsUnsupported bool `json:"snapshotsUnsupported,omitempty"`

	// Players holds the figures of the last generated turn.
	Players []engine.PlayerSummary `json:"players,omitempty"`
	// LastError is the reason of the last failure status, for operators.
	LastError string `json:"lastError,omitempty"`

	StartedAt      *time.Time `json:"startedAt,omitempty"`
	StoppedAt      *time.Time `json:"stoppedAt,omitempty"`
	FinishedAt     *time.Time `json:"finishedAt,omitempty"`
	LastObservedAt *time.Time `json:"lastObservedAt,omitempty"`
	UpdatedAt      time.Time  `json:"updatedAt"`
}

// RuntimeKey is what lists filter runtimes by; stores may read it without decoding the
// whole record (its JSON names are the Runtime's).
type RuntimeKey struct {
	Status string `json:"status"`
	Paused bool   `json:"paused"`
	NodeID string `json:"nodeId"`
}

// Engine health values of a Runtime: passing once the engine answered, critical as soon
// as a call to it timed out or the driver saw it die, unknown when nothing runs.
const (
	HealthPassing  = "passing"
	HealthCritical = "critical"
	HealthUnknown  = "unknown"
)

// Active reports whether the game's engine should be running (statusRules).
func (r *Runtime) Active() bool { return statusRules[r.Status].active }

// Scheduled reports whether the scheduler should hold a deadline for the game: it has
// one, is not paused, and runs (or sleeps, to be woken before its turn).
func (r *Runtime) Scheduled() bool {
	return r.NextTurnAt != nil && !r.Paused && (r.Status == StatusRunning || r.Status == StatusGenerationInProgress || r.Status == StatusAsleep)
}

// AcceptOrders applies the orders-accept rule (DESIGN §3, statusRules): removed →
// ENOTFOUND; paused → EGAMEPAUSED; running → nil; a turn being generated or failed →
// ETURNCLOSED; finished → EGAMEFINISHED; an engine that should run but is unreachable →
// EUNAVAILABLE (retry); not started, stopped or failed to start → EGAMENOTRUNNING.
func (r *Runtime) AcceptOrders() error {
	code := statusRules[r.Status].orders
	switch {
	case code == ENOTFOUND:
		return Errorf(code, "game %s was removed", r.GameID)
	case r.Paused:
		return Errorf(EGAMEPAUSED, "the game is paused")
	case code == "":
		return nil
	case code == ETURNCLOSED && r.PendingTurn > 0:
		return Errorf(code, "turn %d is being generated", r.PendingTurn)
	case code == ETURNCLOSED:
		return Errorf(code, "turn %d could not be generated; an operator will retry it", r.CurrentTurn+1)
	case code == EGAMEFINISHED:
		return Errorf(code, "the game has finished")
	case code == EUNAVAILABLE:
		return Errorf(code, "the game's engine is unreachable; retry later")
	}
	return Errorf(code, "the game is not running (status %s)", r.Status)
}

// AcceptReports applies the report rule (statusRules): removed → ENOTFOUND; not
// started, stopped, stopping or failed to start → EGAMENOTRUNNING; otherwise nil (also
// while paused or finished, as long as the engine runs).
func (r *Runtime) AcceptReports() error {
	switch code := statusRules[r.Status].reports; code {
	case "":
		return nil
	case ENOTFOUND:
		return Errorf(code, "game %s was removed", r.GameID)
	default:
		return Errorf(code, "the game is not running (status %s)", r.Status)
	}
}

// RuntimeCounts counts runtimes: ByStatus[status][engineHealth], and Paused.
type RuntimeCounts struct {
	ByStatus map[string]map[string]int
	Paused   int
}

// TurnFigures are the races' figures after one turn: a game's history is a list of them.
type TurnFigures struct {
	Turn    int                    `json:"turn"`
	Players []engine.PlayerSummary `json:"players"`
}

// JournalEntry is a race's last accepted orders for an open turn, kept until a snapshot
// after that turn is archived: what is submitted again after a restore.
type JournalEntry struct {
	Turn   int               `json:"turn"`
	Actor  uuid.UUID         `json:"actor"` // the race's enginePlayerId
	Orders []json.RawMessage `json:"orders"`
	Final  bool              `json:"final,omitempty"`
	At     time.Time         `json:"at"`
}

// archived reports whether the archive holds the snapshot of turn n (of the current line).
func (r *Runtime) archived(n int) bool { return r.ArchivedTurn != nil && *r.ArchivedTurn >= n }
