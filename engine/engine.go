// Package engine is the contract between the orchestrator and a Galaxy game engine:
// the wire types of every route in openapi.yaml and a Go client for them. The reference
// engine (engine/game, engine/server, cmd/galaxy-engine) implements the same contract.
package engine

import (
	"encoding/json"

	"github.com/google/uuid"
)

// MaxBodyBytes is the largest request body an engine accepts on every route but
// admin/restore; larger bodies get 413.
const MaxBodyBytes = 1 << 20

// MaxRestoreBytes is the largest body admin/restore accepts (a snapshot document, which
// holds the whole game: a 50-race game in mid-game is a few MiB, so this leaves room);
// larger bodies get 413. It is also the largest snapshot the Client reads.
const MaxRestoreBytes = 64 << 20

// SnapshotSchemaVersion is the version of the Snapshot document's own shape (not of
// the engine state inside it, which is the engine's business).
const SnapshotSchemaVersion = 1

// Race is one participant of a game as the orchestrator registers it at init.
// PlayerID is the engine-side identity of the race (the orchestrator's enginePlayerId);
// it is never the zero UUID.
type Race struct {
	RaceName string    `json:"raceName"`
	PlayerID uuid.UUID `json:"playerId"`
}

// InitRequest is the body of POST /api/v1/admin/init. GameID must be a non-zero UUID;
// Settings is opaque to the orchestrator: GET /api/v1/settings-schema publishes the
// engine's JSON Schema of it (the reference engine reads "seed", "maxTurns" and
// "allianceVictory", and ignores other keys).
type InitRequest struct {
	GameID   uuid.UUID      `json:"gameId"`
	Races    []Race         `json:"races"`
	Settings map[string]any `json:"settings,omitempty"`
}

// TurnRequest is the body of POST /api/v1/admin/turn: generate turn Turn.
type TurnRequest struct {
	Turn int `json:"turn"`
}

// Tech holds a race's technology levels (each starts at 1.0).
type Tech struct {
	Drive   float64 `json:"drive"`
	Weapons float64 `json:"weapons"`
	Shields float64 `json:"shields"`
	Cargo   float64 `json:"cargo"`
}

// PlayerSummary is one race's figures in a State (rounded to 2 decimals). Ships is
// its number of ships; Out is set once the race is out of the game (no planets and no
// ships left, or it quit). Both are omitted by engines that do not know them.
type PlayerSummary struct {
	ID         uuid.UUID `json:"id"`
	RaceName   string    `json:"raceName"`
	Planets    int       `json:"planets"`
	Population float64   `json:"population"`
	Industry   float64   `json:"industry"`
	Tech       Tech      `json:"tech"`
	Ships      int       `json:"ships,omitempty"`
	Out        bool      `json:"out,omitempty"`
}

// State is what admin/init, admin/state and admin/turn answer: the game's identity,
// its current turn (0 right after init), whether it has finished, and per-player
// figures. Winners, once the game has finished, names the winning races' player ids
// (empty when nobody won; omitted by engines that do not name winners).
type State struct {
	GameID   uuid.UUID       `json:"gameId"`
	Turn     int             `json:"turn"`
	Finished bool            `json:"finished"`
	Winners  []uuid.UUID     `json:"winners,omitempty"`
	Players  []PlayerSummary `json:"players"`
}

// OrdersRequest is the body of POST /api/v1/orders: it replaces the actor's orders for
// the open turn (Turn must equal the current turn). Orders are engine-defined objects,
// each with a "type" field (the reference engine's are GalaxyNG's orders, listed in
// engine/README.md: "produce", "design", "send", ...).
// Final marks the race's orders as final for the turn.
type OrdersRequest struct {
	Actor  uuid.UUID         `json:"actor"`
	Turn   int               `json:"turn"`
	Orders []json.RawMessage `json:"orders"`
	Final  bool              `json:"final,omitempty"`
}

// OrdersResult is the 200 answer to POST /api/v1/orders.
type OrdersResult struct {
	Turn     int  `json:"turn"`
	Accepted int  `json:"accepted"`
	Final    bool `json:"final"`
	// AllFinal is true when every race has marked its orders final for the open turn.
	AllFinal bool `json:"allFinal"`
}

// CommandRequest is the body of POST /api/v1/commands: an immediate, non-turn action.
// Command is engine-defined (an object with a "type" field).
type CommandRequest struct {
	Actor   uuid.UUID       `json:"actor"`
	Command json.RawMessage `json:"command"`
}

// Snapshot is the document of GET /api/v1/admin/snapshot and the body of POST
// /api/v1/admin/restore: the engine's whole game at one turn. State is exactly what the
// engine keeps in state.json (opaque to the orchestrator); GameID, Turn and Finished
// repeat the state's own, so that an archive can file a snapshot without reading the
// engine's format. Reports, present when the snapshot was asked with reports=true, maps
// each race's player id to its report of Turn (the same JSON as GET /api/v1/report), so
// that a past turn's report can be served without a running engine; restore ignores it.
type Snapshot struct {
	SchemaVersion int                           `json:"schemaVersion"`
	GameID        uuid.UUID                     `json:"gameId"`
	Turn          int                           `json:"turn"`
	Finished      bool                          `json:"finished"`
	State         json.RawMessage               `json:"state"`
	Reports       map[uuid.UUID]json.RawMessage `json:"reports,omitempty"`
}

// ErrorBody is the JSON shape of every engine error response:
// {"error":{"code":..., "message":..., "details":[...]}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the payload of an ErrorBody. Details lists per-item problems (for
// example one entry per rejected order) and is omitted when empty.
type ErrorDetail struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Details []FieldError `json:"details,omitempty"`
}

// FieldError names one problem: Index is the position of the order it concerns (or -1),
// Field the offending field, Message a human-readable reason.
type FieldError struct {
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}
