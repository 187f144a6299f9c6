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
		v, err := tx.EngineVersion(in.EngineVersion)
		if ErrorCode(err) == ENOTFOUND {
			return &Error{Code: ENOTFOUND, Field: "engineVersion", Message: "engine version " + in.EngineVersion + " is not registered"}
		} else if err != nil {
			return err
		} else if !v.Enabled {
			return &Error{Code: ECONFLICT, Field: "engineVersion", Message: "engine version " + in.EngineVersion + " is disabled"}
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

// Start implements GameService: created, stopped or failed games start.
func (s *Service) Start(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.enqueue(ctx, id, OpStart, src, OpDetails{}, func(g *Game, r *Runtime) error {
		switch r.Status {
		case StatusCreated, StatusStopped, StatusStartFailed, StatusEngineUnreachable, StatusGenerationFailed:
			r.Status = StatusStarting
			return nil
		}
		return conflict(id, r, "start")
	})
}

// Stop implements GameService: the engine is stopped, its state kept.
func (s *Service) Stop(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.enqueue(ctx, id, OpStop, src, OpDetails{}, func(g *Game, r *Runtime) error {
		switch r.Status {
		case StatusCreated, StatusStopped, StatusStopping, StatusRemoved:
			return conflict(id, r, "stop")
		}
		r.Status = StatusStopping
		return nil
	})
}

// Restart implements GameService: the engine is stopped and started again; the game
// is never re-initialised.
func (s *Service) Restart(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.enqueue(ctx, id, OpRestart, src, OpDetails{}, func(g *Game, r *Runtime) error {
		switch r.Status {
		case StatusRunning, StatusGenerationFailed, StatusEngineUnreachable, StatusFinished:
			r.Status = StatusStarting
			return nil
		case StatusStartFailed:
			if r.Initialized {
				r.Status = StatusStarting
				return nil
			}
		}
		return conflict(id, r, "restart")
	})
}

// ForceNextTurn implements GameService: the next turn runs now; the following
// deadline stays on the game's grid.
func (s *Service) ForceNextTurn(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.enqueueTurn(ctx, id, OpForceNextTurn, src)
}

// Patch implements GameService: the game moves to version within its major.minor.
func (s *Service) Patch(ctx context.Context, id uuid.UUID, version string, src Source) (*Operation, error) {
	if _, err := ParseVersion(version); err != nil {
		return nil, err
	}
	return s.enqueueTx(ctx, id, OpPatch, src, OpDetails{Version: version}, func(tx Tx, g *Game, r *Runtime) error {
		switch r.Status {
		case StatusStarting, StatusStopping, StatusRemoved, StatusGenerationInProgress:
			return conflict(id, r, "patch")
		}
		if err := CheckPatch(g.EngineVersion, version); err != nil {
			return err
		}
		v, err := tx.EngineVersion(version)
		if ErrorCode(err) == ENOTFOUND {
			return &Error{Code: ENOTFOUND, Field: "version", Message: "engine version " + version + " is not registered"}
		} else if err != nil {
			return err
		} else if !v.Enabled {
			return &Error{Code: ECONFLICT, Field: "version", Message: "engine version " + version + " is disabled"}
		}
		if r.Active() {
			r.Status = StatusStarting
		}
		return nil
	})
}

// Remove implements GameService: the engine is stopped and its state deleted; the
// game's records stay, with status removed.
func (s *Service) Remove(ctx context.Context, id uuid.UUID, src Source) (*Operation, error) {
	return s.enqueue(ctx, id, OpRemove, src, OpDetails{}, func(g *Game, r *Runtime) error {
		if r.Status == StatusRemoved {
			return conflict(id, r, "remove")
		}
		r.Status = StatusStopping
		return nil
	})
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
func (s *Service) setPaused(ctx context.Context, id uuid.UUID, paused bool, src Source) (*GameView, error) {
	var v *GameView
	err := s.Store.Update(ctx, func(tx Tx) error {
		g, r, err := gameAndRuntime(tx, id)
		if err != nil {
			return err
		}
		if r.Status == StatusRemoved || r.Status == StatusFinished {
			return conflict(id, r, map[bool]string{true: "pause", false: "resume"}[paused])
		}
		if r.Paused != paused {
			r.Paused = paused
			r.UpdatedAt = s.now()
			if err := tx.PutRuntime(r); err != nil {
				return err
			}
			typ := EventGameResumed
			if paused {
				typ = EventGamePaused
			}
			if err := s.addEvent(tx, typ, r, nil); err != nil {
				return err
			}
		}
		now := s.now()
		op := &Operation{ID: uuid.Must(uuid.NewV7()), GameID: id, Op: OpResume, Source: src, Status: OpSucceeded,
			Details: OpDetails{Turn: r.CurrentTurn}, CreatedAt: now, StartedAt: &now, FinishedAt: &now}
		if paused {
			op.Op = OpPause
		}
		if err := tx.PutOperation(op); err != nil {
			return err
		}
		v = &GameView{Game: g, Runtime: r}
		return nil
	})
	if err == nil {
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

func conflict(id uuid.UUID, r *Runtime, action string) error {
	return Errorf(ECONFLICT, "cannot %s game %s in status %s", action, id, r.Status)
}

// enqueue records a queued operation and the runtime change made by check in one
// transaction, then hands the operation to the pool. The queue slot is reserved first,
// so a full queue refuses the request before anything is written.
func (s *Service) enqueue(ctx context.Context, id uuid.UUID, kind Op, src Source, d OpDetails, check func(*Game, *Runtime) error) (*Operation, error) {
	return s.enqueueTx(ctx, id, kind, src, d, func(_ Tx, g *Game, r *Runtime) error { return check(g, r) })
}

// enqueueTx is enqueue with the transaction at hand; the optional after hooks may fill
// in op details that check computed.
func (s *Service) enqueueTx(ctx context.Context, id uuid.UUID, kind Op, src Source, d OpDetails, check func(Tx, *Game, *Runtime) error, after ...func(*Operation)) (*Operation, error) {
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
		if err := check(tx, g, r); err != nil {
			return err
		}
		now := s.now()
		r.UpdatedAt = now
		op = &Operation{ID: uuid.Must(uuid.NewV7()), GameID: id, Op: kind, Source: src, Status: OpQueued, Details: d, CreatedAt: now}
		for _, f := range after {
			f(op)
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
