package orchestrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// Service implements GameService, PlayerService and EngineVersionService on top of
// the Store, a Driver, Discovery and engines. Long operations are written to the
// operation log and run by a WorkerPool; turns are driven by a Scheduler.
type Service struct {
	Store     Store
	Driver    Driver
	Discovery Discovery
	Engines   EngineConnector
	Logger    hclog.Logger
	Clock     Clock

	// Workers and QueueSize size the worker pool (defaults DefaultWorkers/QueueSize).
	Workers   int
	QueueSize int
	// EngineTimeout bounds one engine call (default 30 s); StartTimeout bounds a whole
	// start, including placement and health (default 5 min).
	EngineTimeout time.Duration
	StartTimeout  time.Duration
	// TurnAttempts is how many times a failing turn call is tried within its slot
	// (default 4), waiting TurnBackoff, doubled each time (default 2 s), in between.
	TurnAttempts int
	TurnBackoff  time.Duration
	// Events enables the outbox: lobby notifications written with each state change.
	Events bool
	// Metrics, when set, records operations and turns.
	Metrics *Metrics
	// Outbox, when set, is poked after every commit that may have added events, so
	// notifications leave at once instead of at its next interval.
	Outbox *Outbox

	pool  *WorkerPool
	sched *Scheduler
	ctx   context.Context
	stop  context.CancelFunc
}

var (
	_ GameService          = (*Service)(nil)
	_ PlayerService        = (*Service)(nil)
	_ EngineVersionService = (*Service)(nil)
)

// Open recovers from the last run and starts the worker pool and the scheduler:
// pending operations are resumed (never dropped), games that were generating a turn
// replay exactly that turn, and every scheduled game gets its deadline back.
func (s *Service) Open() error {
	if s.Logger == nil {
		s.Logger = hclog.NewNullLogger()
	}
	if s.Clock == nil {
		s.Clock = SystemClock{}
	}
	if s.EngineTimeout <= 0 {
		s.EngineTimeout = 30 * time.Second
	}
	if s.StartTimeout <= 0 {
		s.StartTimeout = 5 * time.Minute
	}
	if s.TurnAttempts <= 0 {
		s.TurnAttempts = 4
	}
	if s.TurnBackoff <= 0 {
		s.TurnBackoff = 2 * time.Second
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.pool = &WorkerPool{Workers: s.Workers, QueueSize: s.QueueSize, Run: s.run}
	s.sched = NewScheduler(1024)
	s.sched.Clock = s.Clock
	s.sched.DueBatch = s.due

	var pending []*Operation
	var revive []uuid.UUID
	if err := s.Store.View(s.ctx, func(tx Tx) error {
		var err error
		if pending, err = tx.PendingOperations(); err != nil {
			return err
		}
		busy := make(map[uuid.UUID]bool, len(pending))
		for _, op := range pending {
			busy[op.GameID] = true
		}
		return tx.Runtimes(func(r *Runtime) error {
			if r.Scheduled() && r.PendingTurn == 0 {
				s.sched.Set(r.GameID, *r.NextTurnAt)
			}
			// Engines do not outlive galaxyd (the local driver ties them to it; a Nomad
			// job does, and then this start finds it running): bring back every game
			// that should run and has no operation that will do so anyway.
			if r.Active() && !busy[r.GameID] {
				revive = append(revive, r.GameID)
			}
			return nil
		})
	}); err != nil {
		return fmt.Errorf("recover state: %w", err)
	}
	s.pool.Open()
	for _, op := range pending {
		s.Logger.Info("resuming operation", "operation_id", op.ID, "game_id", op.GameID, "op", op.Op, "status", op.Status)
		s.pool.Resume(op)
	}
	if err := s.revive(revive); err != nil {
		return fmt.Errorf("recover engines: %w", err)
	}
	s.sched.Open()
	return nil
}

// revive queues a start operation (source reconciler) for each game whose engine the
// driver does not run. Like resumed operations these bypass the queue limit: refusing
// them would leave running games without an engine.
func (s *Service) revive(ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	insts, err := s.Driver.Instances(s.ctx)
	if err != nil {
		return err
	}
	running := make(map[uuid.UUID]bool, len(insts))
	for _, in := range insts {
		running[in.GameID] = in.Running
	}
	var ops []*Operation
	err = s.Store.Update(s.ctx, func(tx Tx) error {
		ops = ops[:0]
		for _, id := range ids {
			if running[id] {
				continue
			}
			op := &Operation{ID: uuid.Must(uuid.NewV7()), GameID: id, Op: OpStart, Source: SourceReconciler, Status: OpQueued, CreatedAt: s.now()}
			if err := tx.PutOperation(op); err != nil {
				return err
			}
			ops = append(ops, op)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, op := range ops {
		s.log(op.GameID).Info("bringing engine back", "operation_id", op.ID)
		s.pool.Resume(op)
	}
	return nil
}

// RecordRestart notes that the driver restarted a crashed engine by itself, so the
// runtime record shows it; restarts is the driver's running count for the game.
func (s *Service) RecordRestart(id uuid.UUID, restarts int) {
	err := s.Store.Update(s.ctx, func(tx Tx) error {
		r, err := tx.Runtime(id)
		if err != nil {
			return err
		}
		r.Restarts, r.UpdatedAt = restarts, s.now()
		return tx.PutRuntime(r)
	})
	if err != nil && s.ctx.Err() == nil {
		s.log(id).Warn("cannot record engine restart", "error", err)
	}
}

// Close stops the scheduler and the workers. Operations still queued or running stay
// in the store as they are and are resumed by the next Open.
func (s *Service) Close() error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	s.sched.Close()
	s.pool.Close()
	return nil
}

// Pending returns the number of operations queued or running in this process.
func (s *Service) Pending() int { return s.pool.Pending() }

// Ensure hands the game to its engine again if the store says it should run: it
// queues a start operation from the reconciler. It is what boot recovery and the
// reconciler call for a game whose engine is gone.
func (s *Service) Ensure(ctx context.Context, id uuid.UUID) (*Operation, error) {
	return s.enqueue(ctx, id, OpStart, SourceReconciler, OpDetails{}, func(g *Game, r *Runtime) error {
		if !r.Active() {
			return Errorf(ECONFLICT, "game %s is %s, not meant to run", id, r.Status)
		}
		return nil
	})
}

func (s *Service) pokeOutbox() {
	if s.Events && s.Outbox != nil {
		s.Outbox.Poke()
	}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC() }

func (s *Service) log(id uuid.UUID) hclog.Logger { return s.Logger.With("game_id", id) }

// engineFor returns a client for the game's running engine, bringing the engine back
// through the driver when discovery has nothing (e.g. after galaxyd restarted).
func (s *Service) engineFor(ctx context.Context, g *Game, r *Runtime) (EngineClient, error) {
	token, err := s.secret(ctx, g.ID)
	if err != nil {
		return nil, err
	}
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
	return s.Engines(inst.Endpoint, token), nil
}

func (s *Service) startDriver(ctx context.Context, g *Game, version, token string) (*Instance, error) {
	var v *EngineVersion
	if err := s.Store.View(ctx, func(tx Tx) (err error) {
		v, err = tx.EngineVersion(version)
		return err
	}); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.StartTimeout)
	defer cancel()
	return s.Driver.Start(ctx, EngineSpec{GameID: g.ID, Version: *v, AdminToken: token})
}

func (s *Service) secret(ctx context.Context, id uuid.UUID) (token string, err error) {
	err = s.Store.View(ctx, func(tx Tx) error {
		token, err = tx.GameSecret(id)
		return err
	})
	return token, err
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
