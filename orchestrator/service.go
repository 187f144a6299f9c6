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
	if s.PlayerTimeout <= 0 {
		s.PlayerTimeout = 5 * time.Second
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
			r, err := tx.Runtime(id)
			if err != nil {
				return err
			}
			from := r.Status
			if running[id] || accept(ActEnsure, r) != nil {
				continue
			}
			op := newOperation(id, OpStart, SourceReconciler, OpDetails{}, from, s.now())
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

// Observe implements InstanceObserver: a driver's news of an engine is written to the
// game's runtime at once — its endpoint, allocation, node and restart count, passing
// health when it runs again, critical health (and the reason) when it went down — so
// nothing waits for the reconciler. News of a game whose engine should not run, or
// that changes nothing, writes nothing.
func (s *Service) Observe(in *Instance) {
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	update := func(r *Runtime) bool {
		before := *r
		if in.Running {
			if in.Endpoint != "" {
				r.EngineEndpoint = in.Endpoint
			}
			if in.AllocID != "" {
				r.AllocID = in.AllocID
			}
			if in.NodeID != "" {
				r.NodeID = in.NodeID
			}
			r.EngineHealth = HealthPassing
		} else {
			r.EngineHealth = HealthCritical
			if in.Reason != "" {
				r.LastError = "engine went down: " + in.Reason
			}
		}
		r.Restarts = max(r.Restarts, in.Restarts)
		return r.EngineEndpoint != before.EngineEndpoint || r.AllocID != before.AllocID || r.NodeID != before.NodeID ||
			r.EngineHealth != before.EngineHealth || r.Restarts != before.Restarts || r.LastError != before.LastError
	}
	observed := func(r *Runtime) bool { return r.Active() || r.Status == StatusFinished || r.Status == StatusStarting }
	var changed bool
	if err := s.Store.View(ctx, func(tx Tx) error {
		r, err := tx.Runtime(in.GameID)
		if err != nil {
			return err
		}
		changed = observed(r) && update(r)
		return nil
	}); err != nil || !changed {
		return
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		r, err := tx.Runtime(in.GameID)
		if err != nil || !observed(r) || !update(r) {
			return err
		}
		now := s.now()
		r.LastObservedAt, r.UpdatedAt = &now, now
		return tx.PutRuntime(r)
	})
	if err != nil && ctx.Err() == nil {
		s.log(in.GameID).Warn("cannot record the driver's news of the engine", "error", err)
	} else if err == nil {
		s.log(in.GameID).Info("engine changed", "running", in.Running, "endpoint", in.Endpoint, "alloc_id", in.AllocID, "node_id", in.NodeID, "restarts", in.Restarts)
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

// Ensure is the reconciler's correction for a game whose engine should run and does
// not, or runs and answers although its start "failed": a start operation from the
// reconciler (ActEnsure in the table).
func (s *Service) Ensure(ctx context.Context, id uuid.UUID) (*Operation, error) {
	return s.request(ctx, id, ActEnsure, OpStart, SourceReconciler, OpDetails{}, nil)
}

// Halt is the reconciler's correction for an engine that runs although its game
// should not: a stop operation from the reconciler, or a remove for a removed game
// (ActHalt in the table).
func (s *Service) Halt(ctx context.Context, id uuid.UUID, remove bool) (*Operation, error) {
	kind := OpStop
	if remove {
		kind = OpRemove
	}
	return s.request(ctx, id, ActHalt, kind, SourceReconciler, OpDetails{}, nil)
}

// Refresh is the reconciler's correction for a runtime whose recorded placement is out
// of date: a refresh operation recording in's endpoint, allocation and node.
func (s *Service) Refresh(ctx context.Context, id uuid.UUID, in *Instance) (*Operation, error) {
	return s.request(ctx, id, ActRefresh, OpRefresh, SourceReconciler, OpDetails{Endpoint: in.Endpoint, AllocID: in.AllocID, NodeID: in.NodeID}, nil)
}

// RemoveOrphan removes an engine, with its state, that no game claims: an operation
// from the reconciler on a game ID the store does not know. It has no status, hence
// no row in the transition table; it is logged and serialised like every operation.
func (s *Service) RemoveOrphan(ctx context.Context, id uuid.UUID) (*Operation, error) {
	ticket, err := s.pool.Reserve()
	if err != nil {
		return nil, err
	}
	op := newOperation(id, OpRemove, SourceReconciler, OpDetails{}, "", s.now())
	err = s.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Game(id); err == nil {
			return Errorf(ECONFLICT, "game %s exists: not an orphan", id)
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		return tx.PutOperation(op)
	})
	if err != nil {
		s.pool.Release(ticket)
		return nil, err
	}
	work := *op
	s.pool.Submit(ticket, &work)
	return op, nil
}

func (s *Service) pokeOutbox() {
	if s.Events && s.Outbox != nil {
		s.Outbox.Poke()
	}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC() }

func (s *Service) log(id uuid.UUID) hclog.Logger { return s.Logger.With("game_id", id) }

// engineFor returns a client for the game's running engine for an operation (a turn),
// bringing the engine back through the driver when discovery has nothing (e.g. after
// galaxyd restarted). Operations may start engines; player calls never do (callEngine).
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
