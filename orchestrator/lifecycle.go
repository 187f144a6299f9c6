package orchestrator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/google/uuid"
)

// MaxListLimit caps a page of games or operations.
const MaxListLimit = 1000

// Lifecycle implements GameService: games are created, read and listed here, and
// every lifecycle action is asked of the transition table and queued as an operation.
type Lifecycle struct {
	*deps
	q     *queue
	turns *TurnEngine
}

var _ GameService = (*Lifecycle)(nil)

// CreateGame implements GameService.
func (s *Lifecycle) CreateGame(ctx context.Context, in GameInput, idemKey string) (*GameView, bool, error) {
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	if len(idemKey) > 200 {
		return nil, false, FieldErrorf("Idempotency-Key", "must be at most 200 characters")
	}
	body, _ := json.Marshal(in)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])

	now := s.now()
	g := &Game{
		ID:            uuid.New(),
		EngineVersion: in.EngineVersion,
		Schedule:      in.Schedule,
		Settings:      in.Settings,
		EarlyTurn:     in.EarlyTurn,
		CreatedAt:     now,
	}
	if g.Schedule.Timezone == "" {
		g.Schedule.Timezone = "UTC"
	}
	for _, p := range in.Players {
		g.Players = append(g.Players, Player{UserID: p.UserID, RaceName: p.RaceName, EnginePlayerID: uuid.New()})
	}
	rt := &Runtime{GameID: g.ID, Status: StatusCreated, EngineVersion: g.EngineVersion, UpdatedAt: now}
	token := newToken()

	var view *GameView
	created := true
	err := s.Store.Update(ctx, func(tx Tx) error {
		view, created = nil, true
		if idemKey != "" {
			id, h, err := tx.IdempotencyKey(idemKey)
			switch {
			case err == nil && h != hash:
				return &Error{Code: ECONFLICT, Field: "Idempotency-Key", Message: "this Idempotency-Key was used with a different request"}
			case err == nil:
				gg, r, err := gameAndRuntime(tx, id)
				if err != nil {
					return err
				}
				view, created = &GameView{Game: gg, Runtime: r}, false
				return nil
			case ErrorCode(err) != ENOTFOUND:
				return err
			}
		}
		v, err := usableVersion(tx, in.EngineVersion, "engineVersion")
		if err != nil {
			return err
		}
		if err := v.CheckSettings(in.Settings); err != nil {
			return err
		}
		rt.ImageRef = v.ImageRef
		if err := tx.PutGame(g); err != nil {
			return err
		} else if err := tx.PutRuntime(rt); err != nil {
			return err
		} else if err := tx.PutGameSecret(g.ID, token); err != nil {
			return err
		}
		if idemKey != "" {
			if err := tx.PutIdempotencyKey(idemKey, g.ID, hash); err != nil {
				return err
			}
		}
		view = &GameView{Game: g, Runtime: rt}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		s.log(g.ID).Info("game created", "engine_version", g.EngineVersion, "players", len(g.Players))
	}
	return view, created, nil
}

// Game implements GameService.
func (s *Lifecycle) Game(ctx context.Context, id uuid.UUID) (*GameView, error) {
	g, r, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return &GameView{Game: g, Runtime: r}, nil
}

// Games implements GameService: up to Limit games that pass f, after f.After in ID
// order, looking at no more than MaxListScan of them (GamePage.Next says where to go
// on).
func (s *Lifecycle) Games(ctx context.Context, f GameFilter) (*GamePage, error) {
	if f.Limit <= 0 || f.Limit > MaxListLimit {
		f.Limit = MaxListLimit
	}
	var keep func(RuntimeKey) bool
	if f.Filtered() {
		keep = f.Keep
	}
	page := &GamePage{Games: []*GameView{}}
	err := s.Store.View(ctx, func(tx Tx) error {
		rs, next, err := tx.ScanRuntimes(f.After, keep, f.Limit, MaxListScan)
		if err != nil {
			return err
		}
		for _, r := range rs {
			g, err := tx.Game(r.GameID)
			if err != nil {
				return err
			}
			page.Games = append(page.Games, &GameView{Game: g, Runtime: r})
		}
		page.Next = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// Start implements GameService: the engine runs and the game is initialised once.
// The transition table says from which statuses.
func (s *Lifecycle) Start(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.q.request(ctx, id, ActStart, OpStart, src, OpDetails{}, nil)
}

// Stop implements GameService: the engine is stopped, its state kept.
func (s *Lifecycle) Stop(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.q.request(ctx, id, ActStop, OpStop, src, OpDetails{}, nil)
}

// Restart implements GameService: the engine is stopped and started again; the game
// is never re-initialised.
func (s *Lifecycle) Restart(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.q.request(ctx, id, ActRestart, OpRestart, src, OpDetails{}, nil)
}

// ForceNextTurn implements GameService: the next turn runs now; the following
// deadline stays on the game's grid.
func (s *Lifecycle) ForceNextTurn(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.turns.enqueue(ctx, id, ActForceNextTurn, src)
}

// Patch implements GameService: the game moves to version within its major.minor.
func (s *Lifecycle) Patch(ctx context.Context, id uuid.UUID, version string, src Source) (*Operation, error) {
	if _, err := ParseVersion(version); err != nil {
		return nil, err
	}
	return s.q.request(ctx, id, ActPatch, OpPatch, src, OpDetails{Version: version}, func(tx Tx, g *Game, r *Runtime) error {
		if err := CheckPatch(g.EngineVersion, version); err != nil {
			return err
		}
		_, err := usableVersion(tx, version, "version")
		return err
	})
}

// Sleep puts the game's engine to sleep now, as the idle check would (its state
// archived, the engine stopped). Errors as Start's; EUNAVAILABLE without an archive.
func (s *Lifecycle) Sleep(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	if s.Archive == nil {
		return nil, Errorf(EUNAVAILABLE, "no archive is configured: an engine cannot sleep without its state archived")
	}
	return s.q.request(ctx, id, ActSleep, OpSleep, src, OpDetails{}, nil)
}

// Wake wakes the game's sleeping engine now. Errors as Start's.
func (s *Lifecycle) Wake(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.q.request(ctx, id, ActWake, OpWake, src, OpDetails{}, nil)
}

// Remove implements GameService: the engine is stopped and its state deleted; the
// game's records stay, with status removed.
func (s *Lifecycle) Remove(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.q.request(ctx, id, ActRemove, OpRemove, src, OpDetails{}, nil)
}

// usableVersion returns the registered, enabled engine version, or the coded error
// naming field: ENOTFOUND when it is not registered, ECONFLICT when it is disabled.
func usableVersion(tx Tx, version, field string) (*EngineVersion, error) {
	v, err := tx.EngineVersion(version)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return nil, &Error{Code: ENOTFOUND, Field: field, Message: "engine version " + version + " is not registered"}
	case err != nil:
		return nil, err
	case !v.Enabled:
		return nil, &Error{Code: ECONFLICT, Field: field, Message: "engine version " + version + " is disabled"}
	}
	return v, nil
}

// Pause implements GameService.
func (s *Lifecycle) Pause(ctx context.Context, id uuid.UUID, src Source) (*GameView, error) {
	return s.setPaused(ctx, id, true, src)
}

// Resume implements GameService.
func (s *Lifecycle) Resume(ctx context.Context, id uuid.UUID, src Source) (*GameView, error) {
	return s.setPaused(ctx, id, false, src)
}

// setPaused flips the flag and logs the action as an operation that is already done,
// in one transaction: pause and resume are instant but belong in the log like the rest.
// A paused game holds no deadline (it shows no next turn); resume puts it back on its
// grid, at the first slot after now.
func (s *Lifecycle) setPaused(ctx context.Context, id uuid.UUID, paused bool, src Source) (*GameView, error) {
	act, kind, typ := ActResume, OpResume, EventGameResumed
	if paused {
		act, kind, typ = ActPause, OpPause, EventGamePaused
	}
	var v *GameView
	err := s.Store.Update(ctx, func(tx Tx) error {
		g, r, err := gameAndRuntime(tx, id)
		if err != nil {
			return err
		}
		from := r.Status
		if err := accept(act, r); err != nil {
			return err
		}
		now := s.now()
		if r.Paused != paused {
			r.Paused = paused
			if err := s.turns.plan(g, r, now, false); err != nil {
				return err
			}
			r.UpdatedAt = now
			if err := tx.PutRuntime(r); err != nil {
				return err
			}
			if err := s.addEvent(tx, typ, r, nil); err != nil {
				return err
			}
		}
		op := newOperation(id, kind, src, OpDetails{Turn: r.CurrentTurn}, from, now)
		op.Status, op.StartedAt, op.FinishedAt = OpSucceeded, &now, &now
		if err := tx.PutOperation(op); err != nil {
			return err
		}
		v = &GameView{Game: g, Runtime: r}
		return nil
	})
	if err == nil {
		s.turns.reschedule(v.Runtime)
		s.pokeOutbox()
		s.log(id).Info("game paused flag set", "paused", paused)
	}
	return v, err
}

// Operations implements GameService.
func (s *Lifecycle) Operations(ctx context.Context, gameID uuid.UUID, limit int) ([]*Operation, error) {
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	var ops []*Operation
	err := s.Store.View(ctx, func(tx Tx) error {
		if _, err := tx.Game(gameID); err != nil {
			return err
		}
		var err error
		ops, err = tx.GameOperations(gameID, limit)
		return err
	})
	return ops, err
}

// Operation implements GameService.
func (s *Lifecycle) Operation(ctx context.Context, id uuid.UUID) (*Operation, error) {
	var op *Operation
	err := s.Store.View(ctx, func(tx Tx) (err error) {
		op, err = tx.Operation(id)
		return err
	})
	return op, err
}
