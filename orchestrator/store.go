package orchestrator

import (
	"context"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// Store keeps everything the orchestrator knows. Every write happens inside Update,
// which returns only after the transaction is committed and fsync'd, so an acknowledged
// write survives kill -9. Implementations may coalesce concurrent Updates into one
// commit (bbolt's DB.Batch); fn may then run more than once and must have no effect
// outside tx.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Update runs fn in a read-write transaction and commits it durably. An error from
	// fn rolls everything back and is returned unchanged.
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// WithPriority marks ctx so that a Store commits the Updates made under it before the
// others waiting for a commit: the turns of a due batch are closed at once, not behind
// the results of the turns before them. A Store may ignore the mark.
func WithPriority(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

// HasPriority reports whether ctx was marked by WithPriority.
func HasPriority(ctx context.Context) bool {
	v, _ := ctx.Value(priorityKey{}).(bool)
	return v
}

type priorityKey struct{}

// Tx is a consistent view of the store. Write methods fail inside View. Getters return
// ENOTFOUND (as *Error) for missing keys. Returned values are copies owned by the caller.
type Tx interface {
	Game(id uuid.UUID) (*Game, error)
	// Games returns up to limit games (0 = all) whose ID sorts after `after`
	// (uuid.Nil = from the start), in ID order.
	Games(after uuid.UUID, limit int) ([]*Game, error)
	PutGame(g *Game) error

	Runtime(gameID uuid.UUID) (*Runtime, error)
	// Runtimes calls fn for every runtime record; fn returning an error stops the walk.
	Runtimes(fn func(*Runtime) error) error
	// ScanRuntimes walks the runtimes whose game ID sorts after `after`, in ID order,
	// reading each one's RuntimeKey first and the whole record only when keep (nil:
	// all) says so; it stops after limit kept or budget looked at (a negative one: no
	// bound). next is the ID of the last one looked at when the walk stopped before the
	// end, uuid.Nil at the end.
	ScanRuntimes(after uuid.UUID, keep func(RuntimeKey) bool, limit, budget int) (kept []*Runtime, next uuid.UUID, err error)
	PutRuntime(r *Runtime) error
	// RuntimeCounts returns how many runtimes are in each status with each engine
	// health, and how many are paused, from counts kept with every write (no scan).
	RuntimeCounts() (RuntimeCounts, error)

	// PutTurnFigures records the races' figures after a turn; TurnFigures returns a
	// game's, by turn, from turn from on (limit 0 = all).
	PutTurnFigures(gameID uuid.UUID, turn int, players []engine.PlayerSummary) error
	TurnFigures(gameID uuid.UUID, from, limit int) ([]*TurnFigures, error)

	// PutJournal records a race's accepted orders for an open turn, replacing its last
	// entry for that turn; Journal returns a game's entries from turn from on, by turn
	// then race; DeleteJournal forgets the entries of turns before before (all when
	// before < 0) and returns how many.
	PutJournal(gameID uuid.UUID, e *JournalEntry) error
	Journal(gameID uuid.UUID, from int) ([]*JournalEntry, error)
	DeleteJournal(gameID uuid.UUID, before int) (int, error)

	// GameSecret returns the per-game engine admin token. It lives in its own bucket and
	// is never part of a Game or Runtime, so it cannot leak through the API.
	GameSecret(gameID uuid.UUID) (string, error)
	PutGameSecret(gameID uuid.UUID, token string) error

	Operation(id uuid.UUID) (*Operation, error)
	PutOperation(op *Operation) error
	// GameOperations returns a game's operations newest first (limit 0 = all).
	GameOperations(gameID uuid.UUID, limit int) ([]*Operation, error)
	// PendingOperations returns every queued or running operation, oldest first.
	PendingOperations() ([]*Operation, error)

	EngineVersion(version string) (*EngineVersion, error)
	EngineVersions() ([]*EngineVersion, error)
	PutEngineVersion(v *EngineVersion) error
	DeleteEngineVersion(version string) error

	// IdempotencyKey returns the game created under key and the hash of the request
	// that created it; ENOTFOUND when the key is unused.
	IdempotencyKey(key string) (gameID uuid.UUID, requestHash string, err error)
	PutIdempotencyKey(key string, gameID uuid.UUID, requestHash string) error

	// AddEvent appends an event to the event log; Seq (ascending, from 1) and ID are
	// assigned by the store.
	AddEvent(e *Event) error
	// Events returns up to limit events (0 = all) with Seq greater than after, in
	// append order.
	Events(after uint64, limit int) ([]*Event, error)
	// EventCursor returns the Seq of the last event delivered to the lobby and of the
	// last event appended (the outbox's depth is their difference), in O(1).
	EventCursor() (delivered, last uint64, err error)
	// SetEventCursor records that every event up to seq was delivered; it never moves
	// back.
	SetEventCursor(seq uint64) error
	// DeleteEvents removes up to limit events with Seq ≤ upTo created before cutoff,
	// and returns how many.
	DeleteEvents(upTo uint64, cutoff time.Time, limit int) (int, error)
}

// gameAndRuntime reads a game and its runtime record in tx. Errors: ENOTFOUND.
func gameAndRuntime(tx Tx, id uuid.UUID) (*Game, *Runtime, error) {
	g, err := tx.Game(id)
	if err != nil {
		return nil, nil, err
	}
	r, err := tx.Runtime(id)
	if err != nil {
		return nil, nil, err
	}
	return g, r, nil
}
