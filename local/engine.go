package local

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// engine is one game's managed engine: the spec it runs and the goroutine (run) that
// starts it, waits on it and restarts it when it crashes. The process changes across
// restarts; the engine and its state directory do not.
type engine struct {
	d    *Driver
	id   uuid.UUID
	dir  string
	spec orchestrator.EngineSpec

	cancel   context.CancelFunc // asks run to stop the engine and return
	kill     chan struct{}      // closed (once) to skip the rest of the stop grace: SIGKILL now
	killOnce sync.Once
	ready    chan error    // the first spawn's result (buffered, sent once)
	done     chan struct{} // closed when run has returned and no process is left

	// Guarded by Driver.mu.
	proc     *process      // the healthy running process; nil while starting, in backoff or stopped
	restarts int           // automatic restarts since Start launched this engine
	changed  chan struct{} // closed and replaced whenever proc changes or run returns
	lastErr  error         // why the last run ended or did not start, for a Start waiting on a restart
}

// newEngine returns an engine for spec; run starts it.
func (d *Driver) newEngine(spec orchestrator.EngineSpec) *engine {
	return &engine{
		d:       d,
		id:      spec.GameID,
		dir:     d.stateDir(spec.GameID),
		spec:    spec,
		kill:    make(chan struct{}),
		ready:   make(chan error, 1),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
}

// setProc records the engine's healthy process (nil: none) and wakes whoever waits
// for a change. The caller holds Driver.mu.
func (e *engine) setProc(p *process) {
	e.proc = p
	close(e.changed)
	e.changed = make(chan struct{})
}

// instance describes the engine. The caller holds Driver.mu.
func (e *engine) instance() *orchestrator.Instance {
	in := &orchestrator.Instance{
		GameID:   e.id,
		Version:  e.spec.Version.Version,
		JobID:    jobID(e.id),
		Restarts: e.restarts,
	}
	if e.proc != nil {
		in.Running, in.Endpoint = true, e.proc.endpoint()
	} else if e.lastErr != nil {
		in.Reason = e.lastErr.Error()
	}
	return in
}

// same reports whether spec asks for exactly what e runs: the same version, binary
// and token (a new token needs a new process, since it travels in the environment).
func (e *engine) same(spec orchestrator.EngineSpec) bool {
	return e.spec.Version.Version == spec.Version.Version &&
		e.spec.Version.Command == spec.Version.Command &&
		e.spec.AdminToken == spec.AdminToken
}

// stopped reports whether run has returned (stopped, failed to start or gave up).
func (e *engine) stopped() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// run starts the engine, then supervises it until ctx is cancelled: an exit nobody
// asked for is a crash, answered by a restart after an exponential backoff, and told
// to Config.OnChange (the crash, and the restarted engine once healthy). The first
// start's result goes to e.ready; if it fails run returns, since Start reports that
// failure to its caller and nothing has run yet that needs keeping alive.
func (e *engine) run(ctx context.Context) {
	d := e.d
	defer d.wg.Done()
	defer func() {
		d.mu.Lock()
		close(e.done)
		e.setProc(nil)
		d.mu.Unlock()
	}()

	first := true
	streak := 0 // consecutive crashes without a stable run in between
	for {
		p, err := d.spawn(ctx, e)
		if err == nil {
			// Set before Start hears of it, so the instance it returns is running.
			d.mu.Lock()
			e.setProc(p)
			in := e.instance()
			d.mu.Unlock()
			if !first {
				d.observe(in)
			}
		} else if ctx.Err() == nil && d.config.OnCallError != nil {
			d.config.OnCallError("local", "spawn engine", err)
		}
		if first {
			first = false
			e.ready <- err
			if err != nil {
				return
			}
		}
		if err == nil {
			d.logger.Info("engine running", "game_id", e.id, "version", e.spec.Version.Version, "pid", p.pid, "endpoint", p.endpoint(), "restarts", e.restartCount())

			select {
			case <-ctx.Done():
				e.shutdown(p)
				return
			case <-p.done:
			}
			d.mu.Lock()
			e.setProc(nil)
			e.lastErr = fmt.Errorf("engine exited: %v", p.err)
			d.mu.Unlock()
			if ctx.Err() != nil { // exited while being stopped: not a crash
				_ = removePidfile(e.dir)
				return
			}
			if d.now().Sub(p.started) >= d.config.RestartBackoffMax.Std() {
				streak = 0 // it ran long enough: this crash starts a fresh backoff
			}
			err = p.err
		} else if ctx.Err() != nil {
			return
		} else {
			d.mu.Lock()
			e.lastErr = err
			d.mu.Unlock()
		}

		// A crash, or a restart that did not come up healthy.
		streak++
		if d.config.MaxRestarts > 0 && streak > d.config.MaxRestarts {
			d.mu.Lock()
			in := e.instance()
			d.mu.Unlock()
			d.logger.Error("engine keeps crashing, giving up", "game_id", e.id, "version", e.spec.Version.Version, "restarts", in.Restarts, "error", err)
			_ = removePidfile(e.dir)
			in.Reason = fmt.Sprintf("engine keeps crashing (%v); gave up after %d restarts", err, in.Restarts)
			d.observe(in)
			return
		}
		d.mu.Lock()
		e.restarts++
		in := e.instance()
		d.mu.Unlock()
		wait := d.backoff(streak)
		d.logger.Warn("engine exited unexpectedly, restarting", "game_id", e.id, "version", e.spec.Version.Version, "error", err, "restarts", in.Restarts, "backoff", wait)
		in.Reason = fmt.Sprintf("engine exited (%v); restart %d in %s", err, in.Restarts, wait)
		d.observe(in)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = removePidfile(e.dir)
			return
		case <-t.C:
		}
	}
}

// observe tells Config.OnChange, if set. No driver lock may be held.
func (d *Driver) observe(in *orchestrator.Instance) {
	if d.config.OnChange != nil {
		d.config.OnChange(in)
	}
}

// shutdown stops p because someone asked (Stop, Remove, Close or a replacement).
func (e *engine) shutdown(p *process) {
	d := e.d
	killed := d.terminate(p, e.kill)
	d.mu.Lock()
	e.setProc(nil)
	d.mu.Unlock()
	if err := removePidfile(e.dir); err != nil {
		d.logger.Warn("cannot remove pidfile", "game_id", e.id, "error", err)
	}
	if killed {
		d.logger.Warn("engine killed: it did not exit within the stop grace", "game_id", e.id, "pid", p.pid, "grace", d.config.StopGrace.Std())
	} else {
		d.logger.Info("engine stopped", "game_id", e.id, "pid", p.pid)
	}
}

// restartCount reads e.restarts under the lock.
func (e *engine) restartCount() int {
	e.d.mu.Lock()
	defer e.d.mu.Unlock()
	return e.restarts
}

// backoff is the wait before the n-th consecutive restart (n >= 1):
// RestartBackoffMin doubled n-1 times, capped at RestartBackoffMax.
func (d *Driver) backoff(n int) time.Duration {
	b := d.config.RestartBackoffMin.Std()
	for i := 1; i < n && b < d.config.RestartBackoffMax.Std(); i++ {
		b *= 2
	}
	return min(b, d.config.RestartBackoffMax.Std())
}

// jobID names a game's engine like the Nomad driver names its job, so that operators
// and the reconciler see one name whichever driver runs it.
func jobID(id uuid.UUID) string { return "galaxy-game-" + id.String() }
