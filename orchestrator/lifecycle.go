package orchestrator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// MaxListLimit caps a page of games or operations.
const MaxListLimit = 1000

// CreateGame implements GameService.
func (s *Service) CreateGame(ctx context.Context, in GameInput, idemKey string) (*GameView, bool, error) {
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
func (s *Service) Game(ctx context.Context, id uuid.UUID) (*GameView, error) {
	g, r, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return &GameView{Game: g, Runtime: r}, nil
}

// Games implements GameService. A status filter is applied after paging by ID, so a
// page may hold fewer than Limit games; the caller pages on with After.
func (s *Service) Games(ctx context.Context, f GameFilter) ([]*GameView, error) {
	if f.Limit <= 0 || f.Limit > MaxListLimit {
		f.Limit = MaxListLimit
	}
	var out []*GameView
	err := s.Store.View(ctx, func(tx Tx) error {
		games, err := tx.Games(f.After, f.Limit)
		if err != nil {
			return err
		}
		for _, g := range games {
			r, err := tx.Runtime(g.ID)
			if err != nil {
				return err
			}
			if f.Status != "" && r.Status != f.Status {
				continue
			}
			out = append(out, &GameView{Game: g, Runtime: r})
		}
		return nil
	})
	return out, err
}

// Start implements GameService: the engine runs and the game is initialised once.
// The transition table says from which statuses.
func (s *Service) Start(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.request(ctx, id, ActStart, OpStart, src, OpDetails{}, nil)
}

// Stop implements GameService: the engine is stopped, its state kept.
func (s *Service) Stop(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.request(ctx, id, ActStop, OpStop, src, OpDetails{}, nil)
}

// Restart implements GameService: the engine is stopped and started again; the game
// is never re-initialised.
func (s *Service) Restart(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.request(ctx, id, ActRestart, OpRestart, src, OpDetails{}, nil)
}

// ForceNextTurn implements GameService: the next turn runs now; the following
// deadline stays on the game's grid.
func (s *Service) ForceNextTurn(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.enqueueTurn(ctx, id, ActForceNextTurn, src)
}

// Patch implements GameService: the game moves to version within its major.minor.
func (s *Service) Patch(ctx context.Context, id uuid.UUID, version string, src Source) (*Operation, error) {
	if _, err := ParseVersion(version); err != nil {
		return nil, err
	}
	return s.request(ctx, id, ActPatch, OpPatch, src, OpDetails{Version: version}, func(tx Tx, g *Game, r *Runtime) error {
		if err := CheckPatch(g.EngineVersion, version); err != nil {
			return err
		}
		_, err := usableVersion(tx, version, "version")
		return err
	})
}

// Remove implements GameService: the engine is stopped and its state deleted; the
// game's records stay, with status removed.
func (s *Service) Remove(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.request(ctx, id, ActRemove, OpRemove, src, OpDetails{}, nil)
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
func (s *Service) Pause(ctx context.Context, id uuid.UUID, src Source) (*GameView, error) {
	return s.setPaused(ctx, id, true, src)
}

// Resume implements GameService.
func (s *Service) Resume(ctx context.Context, id uuid.UUID, src Source) (*GameView, error) {
	return s.setPaused(ctx, id, false, src)
}

// setPaused flips the flag and logs the action as an operation that is already done,
// in one transaction: pause and resume are instant but belong in the log like the rest.
// A paused game holds no deadline (it shows no next turn); resume puts it back on its
// grid, at the first slot after now.
func (s *Service) setPaused(ctx context.Context, id uuid.UUID, paused bool, src Source) (*GameView, error) {
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
			if err := s.plan(g, r, now, false); err != nil {
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
		s.reschedule(v.Runtime)
		s.pokeOutbox()
		s.log(id).Info("game paused flag set", "paused", paused)
	}
	return v, err
}

// Operations implements GameService.
func (s *Service) Operations(ctx context.Context, gameID uuid.UUID, limit int) ([]*Operation, error) {
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
func (s *Service) Operation(ctx context.Context, id uuid.UUID) (*Operation, error) {
	var op *Operation
	err := s.Store.View(ctx, func(tx Tx) (err error) {
		op, err = tx.Operation(id)
		return err
	})
	return op, err
}

// newOperation is the one constructor of operation rows: a queued operation of kind
// on game id, accepted from status from at now, with a fresh UUIDv7 (so IDs sort by
// creation time).
func newOperation(id uuid.UUID, kind Op, src Source, d OpDetails, from string, now time.Time) *Operation {
	return &Operation{ID: uuid.Must(uuid.NewV7()), GameID: id, Op: kind, Source: src, Status: OpQueued, Details: d, FromStatus: from, CreatedAt: now}
}

// request asks the transition table whether act may run on the game, and records the
// queued operation and the runtime's queued status in one transaction (check, when
// set, adds its own validation inside it), then hands the operation to the pool. The
// queue slot is reserved first, so a full queue refuses the request before anything
// is written.
func (s *Service) request(ctx context.Context, id uuid.UUID, act Action, kind Op, src Source, d OpDetails, check func(Tx, *Game, *Runtime) error) (*Operation, error) {
	ticket, err := s.pool.Reserve()
	if err != nil {
		return nil, err
	}
	var op *Operation
	err = s.Store.Update(ctx, func(tx Tx) error {
		g, r, err := gameAndRuntime(tx, id)
		if err != nil {
			return err
		}
		from := r.Status
		if err := accept(act, r); err != nil {
			return err
		}
		if check != nil {
			if err := check(tx, g, r); err != nil {
				return err
			}
		}
		now := s.now()
		r.UpdatedAt = now
		op = newOperation(id, kind, src, d, from, now)
		if act == ActForceNextTurn || act == ActTurn {
			op.Details.Turn = r.PendingTurn
		}
		if err := tx.PutRuntime(r); err != nil {
			return err
		}
		return tx.PutOperation(op)
	})
	if err != nil {
		s.pool.Release(ticket)
		return nil, err
	}
	// The worker owns its own copy: the caller goes on to encode op for the client.
	work := *op
	s.pool.Submit(ticket, &work)
	s.log(id).Info("operation queued", "operation_id", op.ID, "op", kind, "source", src)
	return op, nil
}
