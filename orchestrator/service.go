package orchestrator

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Service is the orchestrator, wired: the game lifecycle, the player proxy, the
// version registry, the engine monitor and the reconciler's corrections, sharing one
// set of dependencies, with the worker pool and the turn engine's scheduler they run
// on. It implements GameService, PlayerService, EngineVersionService and Corrections
// through the services it embeds; cmd/galaxyd and the tests use it as one.
//
// NewService fills defaults; Open validates, recovers from the last run and starts the
// pool and the scheduler; Close stops them and waits.
type Service struct {
	Config
	*Lifecycle
	*PlayerProxy
	*Registry
	*Monitor
	*Corrector
	*Archivist

	deps     *deps
	queue    *queue
	turns    *TurnEngine
	executor *Executor
	sleeper  *Sleeper // nil unless engines sleep
	stop     context.CancelFunc
}

var (
	_ GameService          = (*Service)(nil)
	_ PlayerService        = (*Service)(nil)
	_ EngineVersionService = (*Service)(nil)
	_ Corrections          = (*Service)(nil)
	_ ArchiveService       = (*Service)(nil)
)

// NewService returns a Service on c, its zero limits set to their defaults. It starts
// nothing: Open does.
func NewService(c Config) *Service {
	c = c.withDefaults()
	d := &deps{Config: c, ctx: context.Background(), activity: &activity{since: c.Clock.Now()}}
	q := &queue{deps: d}
	d.waker = &Waker{q: q, calls: map[uuid.UUID]chan struct{}{}, asleep: map[uuid.UUID]chan struct{}{}}
	turns := &TurnEngine{deps: d, q: q}
	mon := &Monitor{deps: d}
	s := &Service{
		Config:      c,
		Lifecycle:   &Lifecycle{deps: d, q: q, turns: turns},
		PlayerProxy: &PlayerProxy{deps: d, turns: turns, monitor: mon},
		Registry:    &Registry{deps: d},
		Monitor:     mon,
		Corrector:   &Corrector{q: q},
		Archivist:   &Archivist{deps: d, q: q},
		deps:        d,
		queue:       q,
		turns:       turns,
		executor:    &Executor{deps: d, turns: turns},
	}
	if c.Idle.After > 0 {
		s.sleeper = &Sleeper{deps: d, q: q, interval: max(c.Idle.After/10, time.Second)}
	}
	q.pool = &WorkerPool{Workers: c.Workers, MaxWorkers: c.MaxWorkers, QueueSize: c.QueueSize, Run: s.executor.run}
	turns.sched = NewScheduler(1024)
	turns.sched.Clock = c.Clock
	turns.sched.Due = turns.due
	return s
}

// Open recovers from the last run and starts the worker pool and the scheduler:
// pending operations are resumed (never dropped), games that were generating a turn
// replay exactly that turn, every scheduled game gets its deadline back, and games
// whose engine should run and does not get a start from the reconciler. An Open that
// fails stops what it started.
func (s *Service) Open() error {
	if err := s.Config.validate(); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	s.deps.ctx, s.stop = ctx, stop

	var pending []*Operation
	var revive []uuid.UUID
	if err := s.Store.View(ctx, func(tx Tx) error {
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
				s.turns.sched.Set(r.GameID, s.turns.deadline(r))
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
		stop()
		return fmt.Errorf("recover state: %w", err)
	}
	s.queue.pool.Open()
	for _, op := range pending {
		s.Logger.Info("resuming operation", "operation_id", op.ID, "game_id", op.GameID, "op", op.Op, "status", op.Status)
		s.queue.pool.Resume(op)
	}
	if err := s.queue.revive(revive); err != nil {
		stop()
		s.queue.pool.Close()
		return fmt.Errorf("recover engines: %w", err)
	}
	s.turns.sched.Open()
	if s.sleeper != nil {
		s.sleeper.open()
	}
	return nil
}

// Close stops the scheduler and the workers and waits for them. Operations still
// queued or running stay in the store as they are and are resumed by the next Open.
func (s *Service) Close() error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	if s.sleeper != nil {
		s.sleeper.close()
	}
	s.turns.sched.Close()
	s.queue.pool.Close()
	return nil
}

// Pending returns the number of operations queued or running in this process.
func (s *Service) Pending() int { return s.queue.pool.Pending() }
