package orchestrator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// ReconcileReport is what one reconciliation pass found and did.
type ReconcileReport struct {
	StartedAt time.Time `json:"startedAt"`
	// DurationMS is the pass's wall time in milliseconds.
	DurationMS int64 `json:"durationMs"`
	// Games is the number of runtime records compared with the driver.
	Games int `json:"games"`
	// Restarted lists games that should run and did not: a start operation was queued.
	Restarted []uuid.UUID `json:"restarted"`
	// Stopped lists games whose engine ran although the game should not run.
	Stopped []uuid.UUID `json:"stopped"`
	// Refreshed lists games whose recorded endpoint was out of date.
	Refreshed []uuid.UUID `json:"refreshed"`
	// Archived lists games whose lagging archive was caught up (an archive operation).
	Archived []uuid.UUID `json:"archived"`
	// ArchiveLag is the turns generated but not archived, summed over the games that
	// should run.
	ArchiveLag int `json:"archiveLag"`
	// Orphans are engines the driver runs for no known game.
	Orphans []*Instance `json:"orphans"`
	// OrphansRemoved counts orphans removed (only with RemoveOrphans).
	OrphansRemoved int `json:"orphansRemoved"`
	// Errors are per-game problems of this pass; the pass goes on past them.
	Errors []string `json:"errors"`
}

// ReconcileService runs reconciliation on demand and reports the last pass.
type ReconcileService interface {
	// Reconcile runs a pass now. Errors: EUNAVAILABLE when the driver cannot list
	// its engines.
	Reconcile(ctx context.Context) (*ReconcileReport, error)
	// LastReconcile returns the last pass's report, or nil before the first.
	LastReconcile() *ReconcileReport
}

// Reconciler is level-triggered: on an interval and on demand it compares what the
// store wants (runtime records) with what the driver runs, and converges: it restarts
// what should run, stops what should not, refreshes endpoints and reports orphans.
type Reconciler struct {
	// Store holds what should be; Driver says what runs; Corrections queues what the
	// reconciler decides (it acts through operations only).
	Store       Store
	Driver      Driver
	Corrections Corrections
	Logger      hclog.Logger
	Clock       Clock
	// Interval between passes (default 30 s).
	Interval time.Duration
	// RemoveOrphans removes engines (and their state) that belong to no game.
	RemoveOrphans bool
	// Archiving says an archive is configured: games whose archive lags their turns
	// are caught up.
	Archiving bool
	// OnReport, if set, observes every pass (for metrics).
	OnReport func(*ReconcileReport)

	mu     sync.Mutex // serialises passes
	lastMu sync.Mutex
	last   *ReconcileReport

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ ReconcileService = (*Reconciler)(nil)

// NewReconciler returns a reconciler of store against driver that acts through c,
// with the default interval, clock and logger; set fields before Open to change them.
func NewReconciler(store Store, driver Driver, c Corrections) *Reconciler {
	return &Reconciler{Store: store, Driver: driver, Corrections: c, Logger: hclog.NewNullLogger(), Clock: SystemClock{}, Interval: 30 * time.Second}
}

// Open validates the reconciler and starts the interval loop; Close stops it.
func (rc *Reconciler) Open() error {
	switch {
	case rc.Store == nil || rc.Driver == nil || rc.Corrections == nil:
		return fmt.Errorf("orchestrator: a Reconciler needs a Store, a Driver and Corrections")
	case rc.Interval <= 0:
		return fmt.Errorf("orchestrator: reconcile interval %s must be positive", rc.Interval)
	}
	rc.ctx, rc.cancel = context.WithCancel(context.Background())
	rc.wg.Add(1)
	go func() {
		defer rc.wg.Done()
		for {
			t := rc.Clock.NewTimer(rc.Interval)
			select {
			case <-rc.ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			if _, err := rc.Reconcile(rc.ctx); err != nil && rc.ctx.Err() == nil {
				rc.Logger.Warn("reconciliation failed", "error", err)
			}
		}
	}()
	return nil
}

// Close stops the loop.
func (rc *Reconciler) Close() {
	if rc.cancel != nil {
		rc.cancel()
		rc.wg.Wait()
	}
}

// LastReconcile implements ReconcileService.
func (rc *Reconciler) LastReconcile() *ReconcileReport {
	rc.lastMu.Lock()
	defer rc.lastMu.Unlock()
	return rc.last
}

// Reconcile implements ReconcileService.
func (rc *Reconciler) Reconcile(ctx context.Context) (*ReconcileReport, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rep := &ReconcileReport{StartedAt: rc.Clock.Now().UTC(), Restarted: []uuid.UUID{}, Stopped: []uuid.UUID{}, Refreshed: []uuid.UUID{}, Archived: []uuid.UUID{}, Orphans: []*Instance{}, Errors: []string{}}
	start := time.Now()

	insts, err := rc.Driver.Instances(ctx)
	if err != nil {
		return nil, Errorf(EUNAVAILABLE, "the driver cannot list engines: %v", ErrorMessage(err))
	}
	byGame := make(map[uuid.UUID]*Instance, len(insts))
	for _, in := range insts {
		byGame[in.GameID] = in
	}
	var runtimes []*Runtime
	busy := map[uuid.UUID]bool{}
	if err := rc.Store.View(ctx, func(tx Tx) error {
		ops, err := tx.PendingOperations()
		if err != nil {
			return err
		}
		for _, op := range ops {
			busy[op.GameID] = true
		}
		return tx.Runtimes(func(r *Runtime) error {
			runtimes = append(runtimes, r)
			return nil
		})
	}); err != nil {
		return nil, err
	}
	rep.Games = len(runtimes)
	known := make(map[uuid.UUID]bool, len(runtimes))
	fail := func(id uuid.UUID, err error) { rep.Errors = append(rep.Errors, id.String()+": "+ErrorMessage(err)) }
	for _, r := range runtimes {
		known[r.GameID] = true
		lag := archiveLag(r)
		if r.Active() && rc.Archiving {
			rep.ArchiveLag += lag
		}
		if busy[r.GameID] {
			continue // an operation is about to change this game; look again next pass
		}
		in := byGame[r.GameID]
		lg := rc.Logger.With("game_id", r.GameID, "status", r.Status)
		d := decide(r, in)
		if d == "" && rc.Archiving && lag > 0 && in != nil && in.Running && Transitions(ActArchive, r.Status).Allowed() {
			d = ActArchive
		}
		switch d {
		case ActEnsure:
			if in != nil && in.Running {
				lg.Warn("an engine runs and its start was recorded as failed; adopting it")
			} else {
				lg.Warn("engine should run and does not; starting it")
			}
			if _, err := rc.Corrections.Ensure(ctx, r.GameID); err != nil {
				fail(r.GameID, err)
				continue
			}
			rep.Restarted = append(rep.Restarted, r.GameID)
		case ActHalt:
			lg.Warn("engine runs although the game should not; stopping it")
			if _, err := rc.Corrections.Halt(ctx, r.GameID, r.Status == StatusRemoved); err != nil {
				fail(r.GameID, err)
				continue
			}
			rep.Stopped = append(rep.Stopped, r.GameID)
		case ActRefresh:
			if _, err := rc.Corrections.Refresh(ctx, r.GameID, in); err != nil {
				fail(r.GameID, err)
				continue
			}
			rep.Refreshed = append(rep.Refreshed, r.GameID)
		case ActArchive:
			if _, err := rc.Corrections.ArchiveNow(ctx, r.GameID); err != nil {
				fail(r.GameID, err)
				continue
			}
			rep.Archived = append(rep.Archived, r.GameID)
		}
	}
	for _, in := range insts {
		if known[in.GameID] {
			continue
		}
		rep.Orphans = append(rep.Orphans, in)
		rc.Logger.Warn("orphaned engine: no game claims it", "game_id", in.GameID, "job_id", in.JobID, "endpoint", in.Endpoint, "removing", rc.RemoveOrphans)
		if rc.RemoveOrphans {
			if _, err := rc.Corrections.RemoveOrphan(ctx, in.GameID); err != nil {
				fail(in.GameID, err)
				continue
			}
			rep.OrphansRemoved++
		}
	}
	rep.DurationMS = time.Since(start).Milliseconds()
	rc.lastMu.Lock()
	rc.last = rep
	rc.lastMu.Unlock()
	if rc.OnReport != nil {
		rc.OnReport(rep)
	}
	return rep, nil
}

// decide is what the reconciler wants for a game with no operation pending, given the
// driver's instance of it (nil: none): ActEnsure, ActHalt, ActRefresh, or "" for
// nothing. The table then says whether the correction may run. It never stops an
// engine that runs for a game whose start failed — that start succeeded late, and the
// engine is adopted — nor one of a game that should run.
func decide(r *Runtime, in *Instance) Action {
	running := in != nil && in.Running
	switch {
	case r.Status == StatusStartFailed && running:
		return ActEnsure
	case (r.Active() || r.Status == StatusStarting) && !running:
		return ActEnsure
	case r.Status == StatusStopping:
		return ActHalt // a stop that failed, tried again
	case running && Transitions(ActHalt, r.Status).Allowed() && r.Status != StatusStartFailed:
		return ActHalt
	case running && moved(r, in):
		return ActRefresh
	}
	return ""
}

// archiveLag is how many turns of the game the archive lacks and can get: none for an
// engine without snapshots (the runtime says so instead).
func archiveLag(r *Runtime) int {
	if !r.Initialized || r.SnapshotsUnsupported {
		return 0
	}
	if r.ArchivedTurn == nil {
		return r.CurrentTurn + 1 // not even turn 0
	}
	return max(r.CurrentTurn-*r.ArchivedTurn, 0)
}

// moved reports whether the driver knows a placement the runtime does not record.
func moved(r *Runtime, in *Instance) bool {
	return in.Endpoint != "" && in.Endpoint != r.EngineEndpoint ||
		in.AllocID != "" && in.AllocID != r.AllocID ||
		in.NodeID != "" && in.NodeID != r.NodeID
}
