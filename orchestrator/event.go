package orchestrator

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Event types sent to the lobby.
const (
	EventGameStarted   = "game.started"
	EventStartFailed   = "game.start_failed"
	EventTurnGenerated = "game.turn_generated"
	EventGameFailed    = "game.failed"
	EventGameFinished  = "game.finished"
	EventGameStopped   = "game.stopped"
	EventGameRemoved   = "game.removed"
	EventGamePaused    = "game.paused"
	EventGameResumed   = "game.resumed"
	EventRolledBack    = "game.rolled_back"
	EventTransferred   = "game.transferred"
)

// Event is one outbox row: a notification for the lobby written in the same transaction
// as the state change it reports, then delivered at least once. ID is stable across
// retries so the lobby can deduplicate; Seq orders events (per store, hence per game).
type Event struct {
	Seq       uint64          `json:"seq"`
	ID        uuid.UUID       `json:"id"`
	Type      string          `json:"type"`
	GameID    uuid.UUID       `json:"gameId"`
	Turn      int             `json:"turn,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
	Attempts  int             `json:"attempts,omitempty"`
}

// Notifier delivers one event to the lobby. A nil error means the lobby acknowledged it.
type Notifier interface {
	Notify(ctx context.Context, e *Event) error
}
