package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// pidfileName is the file in a game's state directory that names its running engine.
// It outlives galaxyd on purpose: it is how a later galaxyd finds an engine that
// survived its parent (orphan).
const pidfileName = "engine.pid"

// pidfile is what the driver records about a running engine. Start (the kernel's start
// time of the process) guards against a recycled pid; Port gives the orphan's endpoint.
type pidfile struct {
	PID       int       `json:"pid"`
	Start     uint64    `json:"start"`
	Port      int       `json:"port"`
	Version   string    `json:"version,omitempty"`
	StartedAt time.Time `json:"startedAt"`
}

// alive reports whether the process the pidfile names still runs (and is the same
// process, not a recycled pid).
func (p *pidfile) alive() bool {
	if p == nil || p.PID <= 0 {
		return false
	}
	start, ok := procStat(p.PID)
	return ok && start == p.Start
}

// writePidfile replaces dir's pidfile atomically (0600), so a reader never sees half.
func writePidfile(dir string, p *pidfile) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, pidfileName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, pidfileName))
}

// readPidfile returns dir's pidfile, nil (and no error) when there is none.
func readPidfile(dir string) (*pidfile, error) {
	b, err := os.ReadFile(filepath.Join(dir, pidfileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var p pidfile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", pidfileName, err)
	}
	return &p, nil
}

// removePidfile deletes dir's pidfile; a missing one is fine.
func removePidfile(dir string) error {
	err := os.Remove(filepath.Join(dir, pidfileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// terminateStale ends an engine process that is not our child (one a previous galaxyd
// left behind): SIGTERM to its process group, up to grace for it to exit, then SIGKILL.
// Not being its parent we cannot wait(2) for it, so its death is polled. It returns an
// error if the process is still alive a while after SIGKILL.
func terminateStale(ctx context.Context, p *pidfile, grace time.Duration) error {
	signal := func(sig syscall.Signal) {
		// The engine leads its own group (Setpgid); fall back to the pid alone.
		if err := syscall.Kill(-p.PID, sig); errors.Is(err, syscall.ESRCH) {
			_ = syscall.Kill(p.PID, sig)
		}
	}
	signal(syscall.SIGTERM)
	if waitGone(ctx, p, grace) {
		return nil
	}
	signal(syscall.SIGKILL)
	// SIGKILL ignores ctx on purpose: two engines must never write one state.json.
	if waitGone(context.Background(), p, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("engine pid %d does not exit after SIGKILL", p.PID)
}

// waitGone polls until p is no longer alive (true), timeout passes or ctx is done.
func waitGone(ctx context.Context, p *pidfile, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for p.alive() {
		select {
		case <-tick.C:
		case <-deadline.C:
			return !p.alive()
		case <-ctx.Done():
			return !p.alive()
		}
	}
	return true
}

// terminateOrphan ends the game's engine that a previous galaxyd left running (its
// pidfile names a live process that is not our child), so that two engines never
// write the same state.json. The caller makes sure no engine of ours runs for id.
func (d *Driver) terminateOrphan(ctx context.Context, id uuid.UUID) error {
	dir := d.stateDir(id)
	pf, err := readPidfile(dir)
	if err != nil {
		// Unreadable: it names nothing we could signal safely.
		d.logger.Warn("ignoring unreadable pidfile", "game_id", id, "error", err)
		return nil
	}
	if !pf.alive() {
		return nil
	}
	d.logger.Warn("terminating orphaned engine left by a previous galaxyd", "game_id", id, "pid", pf.PID, "port", pf.Port)
	if err := terminateStale(ctx, pf, d.config.StopGrace.Std()); err != nil {
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "orphaned engine of game %s: %v", id, err)
	}
	return removePidfile(dir)
}
