package orchestrator

import (
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

// Active reports whether the game's engine should be running.
func (r *Runtime) Active() bool {
	switch r.Status {
	case StatusRunning, StatusGenerationInProgress, StatusGenerationFailed, StatusEngineUnreachable:
		return true
	}
	return false
}

// Scheduled reports whether the scheduler should hold a deadline for the game.
func (r *Runtime) Scheduled() bool {
	return r.NextTurnAt != nil && (r.Status == StatusRunning || r.Status == StatusGenerationInProgress)
}

// AcceptOrders applies the orders-accept rule (DESIGN §3): paused → EGAMEPAUSED;
// generation in progress → ETURNCLOSED; running → nil; anything else → EGAMEPAUSED.
func (r *Runtime) AcceptOrders() error {
	switch {
	case r.Paused:
		return Errorf(EGAMEPAUSED, "the game is paused")
	case r.Status == StatusGenerationInProgress:
		return Errorf(ETURNCLOSED, "turn %d is being generated", r.PendingTurn)
	case r.Status == StatusRunning:
		return nil
	}
	return Errorf(EGAMEPAUSED, "the game is not accepting orders (status %s)", r.Status)
}
