package orchestrator

import (
	"time"

	"github.com/google/uuid"
)

// Op is the kind of a lifecycle operation.
type Op string

// Operation kinds (DESIGN §3).
const (
	OpStart         Op = "start"
	OpStop          Op = "stop"
	OpPause         Op = "pause"
	OpResume        Op = "resume"
	OpRestart       Op = "restart"
	OpPatch         Op = "patch"
	OpForceNextTurn Op = "force_next_turn"
	OpTurn          Op = "turn"
	OpRemove        Op = "remove"
	// OpRefresh records where a game's engine runs now (reconciler only).
	OpRefresh Op = "refresh"
	// OpArchive archives the engine's snapshot of a game that lags (reconciler only).
	OpArchive Op = "archive"
	// OpRollback restores an archived turn's snapshot (admin).
	OpRollback Op = "rollback"
	// OpTransfer moves a game's engine to another node through the archive.
	OpTransfer Op = "transfer"
	// OpSleep stops an idle engine between turns; OpWake brings it back.
	OpSleep Op = "sleep"
	OpWake  Op = "wake"
)

// Source says who asked for an operation.
type Source string

// Operation sources.
const (
	SourceLobby      Source = "lobby"
	SourceAdmin      Source = "admin"
	SourceScheduler  Source = "scheduler"
	SourceReconciler Source = "reconciler"
	// SourceDrainer is the Drainer moving games off nodes that leave.
	SourceDrainer Source = "drainer"
)

// Operation statuses. Queued and running are the only non-terminal ones.
const (
	OpQueued    = "queued"
	OpRunning   = "running"
	OpSucceeded = "succeeded"
	OpFailed    = "failed"
)

// Operation is one row of the operation log. IDs are UUIDv7, so they sort by creation
// time. An operation is stored before the API acknowledges it and ends in succeeded or
// failed; a crash never loses one (boot recovery resumes queued and running rows).
type Operation struct {
	ID           uuid.UUID `json:"id"`
	GameID       uuid.UUID `json:"gameId"`
	Op           Op        `json:"op"`
	Source       Source    `json:"source"`
	Status       string    `json:"status"`
	ErrorCode    string    `json:"errorCode,omitempty"`
	ErrorMessage string    `json:"errorMessage,omitempty"`
	// ErrorDetails are per-item problems of a failure, e.g. the settings an engine
	// refused at init, one per field.
	ErrorDetails []Detail  `json:"errorDetails,omitempty"`
	Details      OpDetails `json:"details"`
	// FromStatus is the game's status when the operation was accepted: with the
	// transition table it says which status the operation's outcome leads to.
	FromStatus string `json:"fromStatus,omitempty"`
	// Attempts counts the tries of the operation (turns are retried within their slot);
	// RetryAt is when the next try is due while a failing turn waits for it.
	Attempts   int        `json:"attempts,omitempty"`
	RetryAt    *time.Time `json:"retryAt,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
}

// OpDetails records what an operation did or is asked to do.
type OpDetails struct {
	Version    string `json:"version,omitempty"` // patch target, or the version started
	ImageRef   string `json:"imageRef,omitempty"`
	JobVersion uint64 `json:"jobVersion,omitempty"`
	Turn       int    `json:"turn,omitempty"`
	// Endpoint, AllocID and NodeID say where the engine ran once the operation ended
	// (start, refresh, transfer).
	Endpoint string `json:"endpoint,omitempty"`
	AllocID  string `json:"allocId,omitempty"`
	NodeID   string `json:"nodeId,omitempty"`
	// Line is a rollback's history line to restore from (nil: the game's current one)
	// and, once done, the new line the game goes on in.
	Line *int `json:"line,omitempty"`
	// FromTurn is the turn a rollback left; FromNode the node a transfer left.
	FromTurn int    `json:"fromTurn,omitempty"`
	FromNode string `json:"fromNode,omitempty"`
	// OutageMS is how long players had no engine during a transfer, in milliseconds.
	OutageMS int64 `json:"outageMs,omitempty"`
}

// Done reports whether the operation reached a terminal status.
func (o *Operation) Done() bool { return o.Status == OpSucceeded || o.Status == OpFailed }
