package orchestrator

import (
	"context"
	"encoding/json"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// EngineClient is one game's engine, as reached over its HTTP contract (engine/).
// Errors are *engine.Error for answers with an error status and wrap
// engine.ErrUnreachable when no answer came.
type EngineClient interface {
	Healthz(ctx context.Context) error
	Init(ctx context.Context, req engine.InitRequest) (*engine.State, error)
	State(ctx context.Context) (*engine.State, error)
	Turn(ctx context.Context, turn int) (*engine.State, error)
	SubmitOrders(ctx context.Context, req engine.OrdersRequest) (*engine.OrdersResult, error)
	Command(ctx context.Context, req engine.CommandRequest) (json.RawMessage, error)
	Report(ctx context.Context, actor uuid.UUID, turn int) (json.RawMessage, error)
	// ReportText is the report in the engine's plain-text (GalaxyNG) layout.
	ReportText(ctx context.Context, actor uuid.UUID, turn int) ([]byte, error)
	// Snapshot returns the engine's whole state as one document and its SHA-256 (the
	// ETag); with withReports, every race's report of the turn too. Errors wrap
	// engine.ErrNotSupported for an engine without the route.
	Snapshot(ctx context.Context, withReports bool) (doc []byte, etag string, err error)
	// Restore puts a snapshot in place: into an engine without state, or (replace)
	// over the same game's.
	Restore(ctx context.Context, doc []byte, replace bool) (*engine.State, error)
}

// EngineConnector returns a client for the engine at endpoint (a base URL) that
// authenticates with the game's admin token. It must be cheap: it is called per request.
type EngineConnector func(endpoint, adminToken string) EngineClient

// OrdersInput is a player's orders as the lobby forwards them; the orchestrator sets
// the actor from its player mapping. Turn is required and must be the open turn (turn 0
// is a real turn: the one open right after start).
type OrdersInput struct {
	Turn   *int              `json:"turn"`
	Orders []json.RawMessage `json:"orders"`
	Final  bool              `json:"final,omitempty"`
}

// Validate checks the submission's shape. Errors: EINVALID naming "turn" or "orders".
func (in *OrdersInput) Validate() error {
	switch {
	case in.Turn == nil:
		return FieldErrorf("turn", "turn is required: the open turn the orders are for")
	case *in.Turn < 0:
		return FieldErrorf("turn", "turn must not be negative")
	case len(in.Orders) > MaxOrders:
		return FieldErrorf("orders", "at most %d orders per submission", MaxOrders)
	}
	return nil
}

// ReportQuery selects a report: Turn nil means the last generated turn; Format is
// ReportJSON (the default) or ReportText (the engine's GalaxyNG layout).
type ReportQuery struct {
	Turn   *int
	Format string
}

// Report formats.
const (
	ReportJSON = "json"
	ReportText = "text"
)

// ViewService shows a game to people — the console's pages: the races' figures turn
// by turn, and the engine's whole state (the game master's galaxy map; admin).
type ViewService interface {
	// TurnFigures returns the races' figures after every turn, oldest first.
	// Errors: ENOTFOUND.
	TurnFigures(ctx context.Context, gameID uuid.UUID) ([]*TurnFigures, error)
	// EngineState returns the state document of the engine's snapshot: every planet,
	// race and ship. Errors: ENOTFOUND, EGAMENOTRUNNING, EUNAVAILABLE (no engine runs,
	// or it does not support snapshots), EENGINEUNREACHABLE.
	EngineState(ctx context.Context, gameID uuid.UUID) (json.RawMessage, error)
}

// PlayerService forwards players' calls to their game's engine, on behalf of the lobby.
// userID is the lobby's user; the orchestrator maps it to the race's enginePlayerId.
// Player traffic never starts an engine.
// Errors: ENOTFOUND (game, or removed; a turn not generated yet), EFORBIDDEN (user not
// in the game), EGAMEPAUSED, ETURNCLOSED, EGAMEFINISHED and EGAMENOTRUNNING (the
// orders-accept and report rules), EINVALID (bad input, or the engine refused the
// orders, with per-order Details), ECONFLICT (not the open turn, field "turn"),
// EUNAVAILABLE (no engine runs right now: retry), EENGINEUNREACHABLE (the engine did not
// answer within the player timeout).
type PlayerService interface {
	SubmitOrders(ctx context.Context, gameID, userID uuid.UUID, in OrdersInput) (*engine.OrdersResult, error)
	Command(ctx context.Context, gameID, userID uuid.UUID, command json.RawMessage) (json.RawMessage, error)
	Report(ctx context.Context, gameID, userID uuid.UUID, q ReportQuery) (json.RawMessage, error)
}
