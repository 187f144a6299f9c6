package orchestrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// Config is what a Service is built from: its dependencies and its limits. NewService
// fills the zero limits with their defaults.
type Config struct {
	Store     Store
	Driver    Driver
	Discovery Discovery
	Engines   EngineConnector
	Logger    hclog.Logger
	Clock     Clock

	// Workers and QueueSize size the worker pool (defaults DefaultWorkers/QueueSize);
	// MaxWorkers bounds the workers it adds while work waits, a rush of turns falling
	// due together (default DefaultMaxWorkers).
	Workers    int
	MaxWorkers int
	QueueSize  int
	// EngineTimeout bounds one engine call of an operation (default 30 s);
	// PlayerTimeout bounds one player call, which fails fast instead (default 5 s);
	// StartTimeout bounds a whole start, including placement and health (default 5 min).
	EngineTimeout time.Duration
	PlayerTimeout time.Duration
	StartTimeout  time.Duration
	// TurnAttempts is how many times a failing turn call is tried within its slot
	// (default 4), waiting TurnBackoff, doubled each time (default 2 s), in between.
	TurnAttempts int
	TurnBackoff  time.Duration
	// Archive, when set, keeps the games' snapshots off their engines' nodes (see
	// archiver.go); ArchiveTimeout bounds one snapshot and its write (default 30 s);
	// Retention says which snapshots are kept (zero: all).
	Archive        Archive
	ArchiveTimeout time.Duration
	Retention      Retention

	// Idle puts engines to sleep between turns (zero After: never).
	Idle Idle

	// Metrics, when set, records operations and turns.
	Metrics *Metrics
	// Outbox and Feed, when set, are told after every commit that may have appended
	// events, so notifications leave, and consoles hear of them, at once.
	Outbox *Outbox
	Feed   *Feed
}

// Idle says when an engine sleeps: after After without a player or admin call, when no
// turn is due within WakeAhead; the scheduler wakes it WakeAhead before its turn, and a
// player's call waits up to WakeTimeout for it to wake. ReleaseVolume also gives the
// game's volume back to the cluster (the wake restores it from the archive).
type Idle struct {
	After         time.Duration
	WakeAhead     time.Duration
	WakeTimeout   time.Duration
	ReleaseVolume bool
}

// withDefaults returns c with every zero limit set to its default.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.EngineTimeout <= 0 {
		c.EngineTimeout = 30 * time.Second
	}
	if c.PlayerTimeout <= 0 {
		c.PlayerTimeout = 5 * time.Second
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 5 * time.Minute
	}
	if c.TurnAttempts <= 0 {
		c.TurnAttempts = 4
	}
	if c.TurnBackoff <= 0 {
		c.TurnBackoff = 2 * time.Second
	}
	if c.ArchiveTimeout <= 0 {
		c.ArchiveTimeout = 30 * time.Second
	}
	if c.Idle.WakeAhead <= 0 {
		c.Idle.WakeAhead = 2 * time.Minute
	}
	if c.Idle.WakeTimeout <= 0 {
		c.Idle.WakeTimeout = 30 * time.Second
	}
	return c
}

// validate reports a dependency that is missing.
func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("orchestrator: a Store is required")
	case c.Driver == nil:
		return errors.New("orchestrator: a Driver is required")
	case c.Discovery == nil:
		return errors.New("orchestrator: a Discovery is required")
	case c.Engines == nil:
		return errors.New("orchestrator: an EngineConnector is required")
	case c.Idle.After > 0 && c.Archive == nil:
		return errors.New("orchestrator: engines sleep only with an archive: their state must outlive them")
	}
	return nil
}

// deps is what the services of the orchestrator share: the configuration, the
// service's lifetime, and the few helpers every one of them uses.
type deps struct {
	Config
	// ctx lives as long as the Service is open; work that outlives a request (driver
	// news, health records) runs under it.
	ctx context.Context
	// activity is when each game last served a call; waker shares wakes of sleeping
	// games among the calls waiting for them.
	activity *activity
	waker    *Waker
}

func (s *deps) now() time.Time { return s.Clock.Now().UTC() }

func (s *deps) log(id uuid.UUID) hclog.Logger { return s.Logger.With("game_id", id) }

// load reads a game and its runtime in a read-only transaction. Errors: ENOTFOUND.
func (s *deps) load(ctx context.Context, id uuid.UUID) (g *Game, r *Runtime, err error) {
	err = s.Store.View(ctx, func(tx Tx) error {
		g, r, err = gameAndRuntime(tx, id)
		return err
	})
	return g, r, err
}

// loadWithSecret is load and the game's engine token in one read. Errors: ENOTFOUND.
func (s *deps) loadWithSecret(ctx context.Context, id uuid.UUID) (g *Game, r *Runtime, token string, err error) {
	err = s.Store.View(ctx, func(tx Tx) error {
		if g, r, err = gameAndRuntime(tx, id); err != nil {
			return err
		}
		token, err = tx.GameSecret(id)
		return err
	})
	return g, r, token, err
}

// pokeOutbox tells the outbox and the feed that events may have been appended.
func (s *deps) pokeOutbox() {
	if s.Outbox != nil {
		s.Outbox.Poke()
	}
	s.Feed.Notify()
}

// addEvent appends an event to the log in tx: every state change the lobby hears of.
func (s *deps) addEvent(tx Tx, typ string, r *Runtime, data any) error {
	e := &Event{Type: typ, GameID: r.GameID, Turn: r.CurrentTurn, CreatedAt: s.now()}
	if data == nil && (typ == EventTurnGenerated || typ == EventGameFinished) {
		data = map[string]any{"players": r.Players}
	}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		e.Data = b
	}
	return tx.AddEvent(e)
}

// engineFor returns a client for the game's running engine for an operation (a turn),
// bringing the engine back through the driver when discovery has nothing (e.g. after
// galaxyd restarted). Operations may start engines; player calls never do (callEngine).
func (s *deps) engineFor(ctx context.Context, g *Game, r *Runtime, token string) (EngineClient, error) {
	ep, err := s.Discovery.Endpoint(ctx, g.ID)
	if err == nil {
		return s.Engines(ep, token), nil
	}
	// A game that should run gets its engine back; so does one with a turn still
	// owed — closed before a stop was asked for — since that turn must be generated
	// (or replayed after a crash) before the stop queued behind it runs.
	if ErrorCode(err) != EUNAVAILABLE || (!r.Active() && r.PendingTurn == 0) {
		return nil, err
	}
	inst, err := s.startDriver(ctx, g, r.EngineVersion, token)
	if err != nil {
		return nil, err
	}
	c := s.Engines(inst.Endpoint, token)
	if r.Initialized {
		// The engine may come back on an empty volume (a sleep that released it, a new
		// node): check it holds the game, restoring it from the archive if not.
		if _, err := s.initOrVerify(ctx, c, g, r); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (s *deps) startDriver(ctx context.Context, g *Game, version, token string) (*Instance, error) {
	return s.startPlaced(ctx, g, version, token, "", nil)
}

// startPlaced is startDriver with a placement: on node, or on none of avoid.
func (s *deps) startPlaced(ctx context.Context, g *Game, version, token, node string, avoid []string) (*Instance, error) {
	var v *EngineVersion
	if err := s.Store.View(ctx, func(tx Tx) (err error) {
		v, err = tx.EngineVersion(version)
		return err
	}); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.StartTimeout)
	defer cancel()
	return s.Driver.Start(ctx, EngineSpec{GameID: g.ID, Version: *v, AdminToken: token, Node: node, AvoidNodes: avoid})
}

func (s *deps) secret(ctx context.Context, id uuid.UUID) (token string, err error) {
	err = s.Store.View(ctx, func(tx Tx) error {
		token, err = tx.GameSecret(id)
		return err
	})
	return token, err
}

// initOrVerify initialises a game that never was, and otherwise (or on 409) reads the
// engine's state and checks that it holds our game: a different gameId means the
// engine was given someone else's volume, which must fail loudly.
func (s *deps) initOrVerify(ctx context.Context, c EngineClient, g *Game, r *Runtime) (*engine.State, error) {
	ctx, cancel := context.WithTimeout(ctx, s.EngineTimeout)
	defer cancel()
	if err := c.Healthz(ctx); err != nil {
		return nil, engineError(err)
	}
	if !r.Initialized {
		req := engine.InitRequest{GameID: g.ID, Settings: g.Settings}
		for _, p := range g.Players {
			req.Races = append(req.Races, engine.Race{RaceName: p.RaceName, PlayerID: p.EnginePlayerID})
		}
		st, err := c.Init(ctx, req)
		if err == nil {
			return st, nil
		} else if !engine.IsStatus(err, 409) {
			return nil, engineError(err)
		}
	}
	st, err := c.State(ctx)
	var ee *engine.Error
	if errors.As(err, &ee) && ee.StatusCode == 404 && r.Initialized {
		// The engine holds nothing of a game that was initialised: a new node, a lost
		// volume. Restore it from the archive; never init it again.
		return s.restore(ctx, c, g, r, false)
	} else if err != nil {
		return nil, engineError(err)
	}
	if st.GameID != g.ID {
		return nil, Errorf(ECONFLICT, "the engine's state belongs to game %s, not %s: wrong volume or state directory", st.GameID, g.ID)
	}
	if st.Turn < r.CurrentTurn {
		if s.Archive != nil {
			return s.restore(ctx, c, g, r, true)
		}
		return nil, Errorf(ECONFLICT, "the engine's state is at turn %d but turn %d was generated: state was lost or rolled back", st.Turn, r.CurrentTurn)
	}
	return st, nil
}

// answers reports whether the game's engine runs and answers its health check now.
func (s *deps) answers(ctx context.Context, id uuid.UUID, token string) bool {
	ctx, cancel := context.WithTimeout(ctx, s.EngineTimeout)
	defer cancel()
	ep, err := s.Discovery.Endpoint(ctx, id)
	return err == nil && s.Engines(ep, token).Healthz(ctx) == nil
}

// newToken returns 32 random bytes, hex encoded: a per-game engine admin token.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux; a broken RNG must not mint tokens
	}
	return hex.EncodeToString(b)
}

// engineError turns an engine client error into a coded error for the API and the
// operation log, without leaking transport internals.
func engineError(err error) error {
	var ee *engine.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrNotSupported):
		return Errorf(EUNAVAILABLE, "the game's engine does not support this (it speaks an older engine contract)")
	case errors.As(err, &ee):
		e := &Error{Code: EENGINE, Message: fmt.Sprintf("engine answered %d: %s", ee.StatusCode, ee.Message)}
		switch ee.StatusCode {
		case 400:
			e.Code = EINVALID
			e.Message = ee.Message
		case 403:
			e.Code = EFORBIDDEN
			e.Message = ee.Message
		case 404:
			e.Code = ENOTFOUND
			e.Message = ee.Message
		case 409:
			e.Code = ECONFLICT
			e.Message = ee.Message
		case 413:
			e.Code = ETOOLARGE
			e.Message = ee.Message
		}
		for _, d := range ee.Details {
			e.Details = append(e.Details, Detail{Index: d.Index, Field: d.Field, Message: d.Message})
		}
		return e
	case errors.Is(err, engine.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return Errorf(EENGINEUNREACHABLE, "the engine did not answer")
	}
	var oe *Error
	if errors.As(err, &oe) {
		return err
	}
	return Errorf(EENGINEUNREACHABLE, "the engine did not answer")
}
