package orchestrator

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// Limits on a game's definition.
const (
	MaxPlayers      = 64
	MaxSettingsSize = 64 << 10 // bytes of JSON
)

// Game is what the lobby asked for; it never changes after create except through patch
// (EngineVersion). ID is minted by the orchestrator and names everything that belongs to
// the game: the Nomad job, the host volume or state directory, the Consul tag and the
// engine's gameId.
type Game struct {
	ID            uuid.UUID      `json:"id"`
	EngineVersion string         `json:"engineVersion"`
	Schedule      Schedule       `json:"schedule"`
	Players       []Player       `json:"players"`
	Settings      map[string]any `json:"settings,omitempty"`
	// EarlyTurn runs the turn as soon as every player has marked their orders final.
	EarlyTurn bool      `json:"earlyTurn,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Player maps a lobby user to a race and to the engine's identity of that race.
// EnginePlayerID is minted once at create and never changes.
type Player struct {
	UserID         uuid.UUID `json:"userId"`
	RaceName       string    `json:"raceName"`
	EnginePlayerID uuid.UUID `json:"enginePlayerId"`
}

// GameInput is the body of a create request.
type GameInput struct {
	EngineVersion string         `json:"engineVersion"`
	Schedule      Schedule       `json:"schedule"`
	Players       []PlayerInput  `json:"players"`
	Settings      map[string]any `json:"settings,omitempty"`
	EarlyTurn     bool           `json:"earlyTurn,omitempty"`
}

// PlayerInput is one player of a create request.
type PlayerInput struct {
	UserID   uuid.UUID `json:"userId"`
	RaceName string    `json:"raceName"`
}

// Validate checks everything that can be checked without the store: players, race
// names, schedule and the shape of the version. It returns an EINVALID error naming the
// field at fault.
func (in *GameInput) Validate() error {
	if _, err := ParseVersion(in.EngineVersion); err != nil {
		return FieldErrorf("engineVersion", "%v", ErrorMessage(err))
	}
	if err := in.Schedule.Validate(); err != nil {
		return err
	}
	if len(in.Players) == 0 {
		return FieldErrorf("players", "at least one player is required")
	} else if len(in.Players) > MaxPlayers {
		return FieldErrorf("players", "at most %d players", MaxPlayers)
	}
	users := make(map[uuid.UUID]bool, len(in.Players))
	races := make(map[string]bool, len(in.Players))
	for i, p := range in.Players {
		field := func(f string) string { return "players[" + strconv.Itoa(i) + "]." + f }
		if p.UserID == uuid.Nil {
			return FieldErrorf(field("userId"), "user id must be a non-zero UUID")
		} else if users[p.UserID] {
			return FieldErrorf(field("userId"), "user %s appears twice", p.UserID)
		}
		users[p.UserID] = true
		if err := engine.CheckName(p.RaceName); err != nil {
			return FieldErrorf(field("raceName"), "race %v", err) // the engine's rule, applied at create
		}
		key := engine.FoldName(p.RaceName)
		if races[key] {
			return FieldErrorf(field("raceName"), "race name %q appears twice", p.RaceName)
		}
		races[key] = true
	}
	if b, err := json.Marshal(in.Settings); err != nil {
		return FieldErrorf("settings", "settings must be a JSON object")
	} else if len(b) > MaxSettingsSize {
		return FieldErrorf("settings", "settings must be at most %d bytes of JSON", MaxSettingsSize)
	}
	return nil
}

// Player returns the player mapped to userID, or nil.
func (g *Game) Player(userID uuid.UUID) *Player {
	for i := range g.Players {
		if g.Players[i].UserID == userID {
			return &g.Players[i]
		}
	}
	return nil
}

// JobName is the name shared by the game's Nomad job, its host volume and its state
// directory: "galaxy-game-<uuid>".
func JobName(id uuid.UUID) string { return "galaxy-game-" + id.String() }

// ServiceTag is the tag that identifies the game's engine in service discovery.
func ServiceTag(id uuid.UUID) string { return "game-" + id.String() }

// GameView is a game with its runtime record, as the API shows it.
type GameView struct {
	*Game
	Runtime *Runtime `json:"runtime"`
}

// GameFilter selects games in a list. Zero values select everything; Limit 0 means the
// service's default page size.
type GameFilter struct {
	Status string
	Paused *bool  // nil: either
	Node   string // the engine node's ID (Runtime.NodeID)
	Limit  int
	After  uuid.UUID // exclusive cursor: list games whose ID sorts after this one
}

// Filtered reports whether f selects by anything but the page.
func (f GameFilter) Filtered() bool { return f.Status != "" || f.Paused != nil || f.Node != "" }

// Keep reports whether a runtime with key k passes f.
func (f GameFilter) Keep(k RuntimeKey) bool {
	return (f.Status == "" || k.Status == f.Status) && (f.Paused == nil || k.Paused == *f.Paused) && (f.Node == "" || k.NodeID == f.Node)
}

// MaxListScan bounds the games one filtered list call looks at, so that a filter that
// matches few of 100,000 games answers in milliseconds: the page then holds fewer than
// its limit and Next says where to go on.
const MaxListScan = 10_000

// GamePage is one page of a list of games. Next, when not zero, is the cursor of the
// following page (pass it as After): the page ended at its limit or at MaxListScan
// games looked at. A zero Next means the list is complete.
type GamePage struct {
	Games []*GameView `json:"games"`
	Next  uuid.UUID   `json:"next,omitzero"`
}

// GameService is the lifecycle API the HTTP layer serves.
type GameService interface {
	// CreateGame validates in, mints the game's ID and every EnginePlayerID, and stores
	// the game with a runtime record in status "created". With a non-empty idemKey a
	// repeated call with the same body returns the first game and created=false; the same
	// key with a different body is ECONFLICT. Errors: EINVALID, ENOTFOUND (unknown or
	// disabled engine version, field engineVersion), ECONFLICT.
	CreateGame(ctx context.Context, in GameInput, idemKey string) (v *GameView, created bool, err error)
	// Game returns one game and its runtime. Errors: ENOTFOUND.
	Game(ctx context.Context, id uuid.UUID) (*GameView, error)
	// Games lists games in ID order, a page at a time (see GamePage).
	Games(ctx context.Context, f GameFilter) (*GamePage, error)

	// Start, Stop, Restart, ForceNextTurn, Patch and Remove record a queued operation
	// durably, hand it to the worker pool and return it. Errors: ENOTFOUND, ECONFLICT (not
	// allowed in the current status), EOVERLOADED (queue full), EINVALID (Patch version).
	Start(ctx context.Context, id uuid.UUID, src Source) (*Operation, error)
	Stop(ctx context.Context, id uuid.UUID, src Source) (*Operation, error)
	Restart(ctx context.Context, id uuid.UUID, src Source) (*Operation, error)
	ForceNextTurn(ctx context.Context, id uuid.UUID, src Source) (*Operation, error)
	Patch(ctx context.Context, id uuid.UUID, version string, src Source) (*Operation, error)
	Remove(ctx context.Context, id uuid.UUID, src Source) (*Operation, error)
	// Sleep puts a running game's engine to sleep now (final snapshot archived, engine
	// stopped); Wake wakes it. They queue operations as Start does; Sleep is also
	// EUNAVAILABLE without an archive.
	Sleep(ctx context.Context, id uuid.UUID, src Source) (*Operation, error)
	Wake(ctx context.Context, id uuid.UUID, src Source) (*Operation, error)

	// Pause and Resume flip the paused flag synchronously and return the game.
	// Errors: ENOTFOUND, ECONFLICT (removed or finished game).
	Pause(ctx context.Context, id uuid.UUID, src Source) (*GameView, error)
	Resume(ctx context.Context, id uuid.UUID, src Source) (*GameView, error)

	// Operations lists a game's operations, newest first. Errors: ENOTFOUND.
	Operations(ctx context.Context, gameID uuid.UUID, limit int) ([]*Operation, error)
	// Operation returns one operation. Errors: ENOTFOUND.
	Operation(ctx context.Context, id uuid.UUID) (*Operation, error)
}
