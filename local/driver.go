// Package local is the embedded default driver: it runs each game's engine as a child
// process of galaxyd on this machine, listening on a loopback port, with its state in
// <DataDir>/games/<uuid>. It restarts crashed engines with a capped exponential
// backoff and nothing more: placement, resources and several machines are Nomad's job
// (package nomad), and this driver must not grow into a scheduler.
//
// The driver is for Unix; the guarantee that engines die with galaxyd even when
// galaxyd is killed with SIGKILL (Pdeathsig) is Linux-only.
package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

var (
	_ orchestrator.Driver    = (*Driver)(nil)
	_ orchestrator.Discovery = (*Driver)(nil)
)

// Default values for the zero fields of Config.
const (
	DefaultHealthTimeout     = 15 * time.Second
	DefaultStopGrace         = 10 * time.Second
	DefaultRestartBackoffMin = 500 * time.Millisecond
	DefaultRestartBackoffMax = 30 * time.Second
)

// Config configures a Driver. Zero durations take the Default* values.
type Config struct {
	// DataDir is required. Engine state lives in DataDir/games/<uuid> (mode 0700).
	DataDir string
	// Logger receives the driver's logs, under the name "local"; nil discards them.
	Logger hclog.Logger
	// HealthTimeout bounds how long a starting engine may take to answer 200 on
	// GET /healthz.
	HealthTimeout time.Duration
	// StopGrace is how long an engine has to exit after SIGTERM before it gets SIGKILL.
	StopGrace time.Duration
	// RestartBackoffMin and RestartBackoffMax bound the wait before restarting a
	// crashed engine: Min, doubled per consecutive crash, capped at Max. A run that
	// lasts at least Max resets the doubling.
	RestartBackoffMin time.Duration
	RestartBackoffMax time.Duration
	// MaxRestarts caps consecutive automatic restarts (same reset rule as the backoff);
	// past it the engine is left stopped until the next Start. 0 means no cap.
	MaxRestarts int
	// Env holds extra KEY=VALUE pairs for every engine's environment, which is
	// otherwise only PATH plus the engine contract's variables (those win).
	Env []string
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// OnRestart, when set, is called after an engine crashed and before the driver
	// restarts it, with the game's running count of automatic restarts (1 for the
	// first) and the exit error. It runs on the engine's supervising goroutine without
	// driver locks held; it must not call Start, Stop or Remove for the same game.
	OnRestart func(gameID uuid.UUID, restarts int, exitErr error)
}

// Driver runs engines as child processes. Create it with NewDriver, then Open; Close
// stops every engine. It implements orchestrator.Driver and orchestrator.Discovery.
type Driver struct {
	config Config
	logger hclog.Logger

	ctx    context.Context // parent of every engine's supervisor; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // one per engine supervisor

	// freePort picks the port of each engine run; tests replace it to provoke a
	// port collision.
	freePort func() (int, error)

	mu      sync.Mutex // guards the fields below and engine.proc/restarts
	open    bool
	closed  bool
	engines map[uuid.UUID]*engine
	locks   map[uuid.UUID]*gameLock
}

// gameLock serialises Start, Stop and Remove of one game without holding Driver.mu
// across process waits. refs counts holders and waiters, so idle locks are dropped.
type gameLock struct {
	ch   chan struct{}
	refs int
}

// NewDriver returns a Driver for cfg with defaults applied. It does nothing on disk
// until Open.
func NewDriver(cfg Config) *Driver {
	if cfg.HealthTimeout <= 0 {
		cfg.HealthTimeout = DefaultHealthTimeout
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = DefaultStopGrace
	}
	if cfg.RestartBackoffMin <= 0 {
		cfg.RestartBackoffMin = DefaultRestartBackoffMin
	}
	if cfg.RestartBackoffMax <= 0 {
		cfg.RestartBackoffMax = DefaultRestartBackoffMax
	}
	cfg.RestartBackoffMax = max(cfg.RestartBackoffMax, cfg.RestartBackoffMin)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Driver{
		config:   cfg,
		logger:   logger.Named("local"),
		freePort: freePort,
		engines:  make(map[uuid.UUID]*engine),
		locks:    make(map[uuid.UUID]*gameLock),
	}
}

// Open prepares DataDir/games (creating it 0700, narrowing wider permissions). It
// starts no engine: the orchestrator calls Start for the games that should run.
func (d *Driver) Open() error {
	if d.config.DataDir == "" {
		return fmt.Errorf("local driver: data dir required")
	}
	// Engines run in their own state directory, so a relative GAME_STATE_PATH would
	// resolve against the wrong place.
	abs, err := filepath.Abs(d.config.DataDir)
	if err != nil {
		return fmt.Errorf("local driver: %w", err)
	}
	d.config.DataDir = abs
	if err := os.MkdirAll(d.config.DataDir, 0o700); err != nil {
		return fmt.Errorf("local driver: %w", err)
	}
	if fi, err := os.Stat(d.config.DataDir); err != nil {
		return fmt.Errorf("local driver: %w", err)
	} else if fi.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("local driver: data dir %s is world-writable; chmod 0700 it", d.config.DataDir)
	}
	games := filepath.Join(d.config.DataDir, gamesDir)
	if repaired, err := privateDir(games); err != nil {
		return fmt.Errorf("local driver: %w", err)
	} else if repaired {
		d.logger.Warn("narrowed permissions of the games directory to 0700", "path", games)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.open || d.closed {
		return fmt.Errorf("local driver: already opened")
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.open = true
	return nil
}

// Close stops every engine as Stop does (SIGTERM, StopGrace, SIGKILL), concurrently,
// and returns once all are gone: galaxyd never leaves an engine behind. Engine state
// stays; the next galaxyd brings running games back with Start. Close is idempotent;
// later Starts fail with EUNAVAILABLE.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed || !d.open {
		d.closed = true
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()

	d.cancel()
	d.wg.Wait()
	return nil
}

// Start makes the game's engine run spec.Version.Command and returns once it answers
// 200 on /healthz. An engine already running the same version, command and token is
// returned as is; any other engine of the game (another version, or one waiting to be
// restarted) is stopped first, keeping its state. An engine a previous galaxyd left
// running is terminated first. Errors: EINVALID (no game id, command empty, not
// absolute or not executable), EUNAVAILABLE (the engine exited or was not healthy in
// time, with the end of its log; the driver is closed), ctx's error.
//
// The returned Instance counts automatic restarts since the engine was last launched
// by a Start: a Start that launches a process begins again at 0.
func (d *Driver) Start(ctx context.Context, spec orchestrator.EngineSpec) (*orchestrator.Instance, error) {
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	unlock, err := d.lockGame(ctx, spec.GameID)
	if err != nil {
		return nil, err
	}
	defer unlock()

	d.mu.Lock()
	e := d.engines[spec.GameID]
	if e != nil && e.proc != nil && e.same(spec) {
		in := e.instance()
		d.mu.Unlock()
		return in, nil
	}
	d.mu.Unlock()
	if e != nil {
		if !e.stopped() {
			d.logger.Info("replacing engine", "game_id", spec.GameID, "from", e.spec.Version.Version, "to", spec.Version.Version)
		}
		if err := d.stopEngine(ctx, e); err != nil {
			return nil, err
		}
	}

	if repaired, err := privateDir(d.stateDir(spec.GameID)); err != nil {
		return nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "state dir: %v", err)
	} else if repaired {
		d.logger.Warn("narrowed permissions of the state directory to 0700", "game_id", spec.GameID)
	}

	e = d.newEngine(spec)
	d.mu.Lock()
	if err := d.usable(); err != nil {
		d.mu.Unlock()
		return nil, err
	}
	var ectx context.Context
	ectx, e.cancel = context.WithCancel(d.ctx)
	d.engines[spec.GameID] = e
	d.wg.Add(1)
	d.mu.Unlock()
	go e.run(ectx)

	select {
	case err = <-e.ready:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		return e.instance(), nil
	}
	_ = d.stopEngine(context.Background(), e)
	if d.isClosed() {
		return nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "local driver is closed")
	}
	return nil, err
}

// Stop stops the game's engine (SIGTERM to its process group, StopGrace, then SIGKILL),
// cancels a pending automatic restart, and keeps the state. An engine a previous
// galaxyd left running is terminated too. Stopping a stopped game is a no-op. When ctx
// ends during the grace the engine is killed at once: Stop never returns while the
// engine still runs. Errors: EUNAVAILABLE (an orphaned engine does not die), ctx's.
func (d *Driver) Stop(ctx context.Context, gameID uuid.UUID) error {
	unlock, err := d.lockGame(ctx, gameID)
	if err != nil {
		return err
	}
	defer unlock()
	return d.stop(ctx, gameID)
}

// stop is Stop under the game lock.
func (d *Driver) stop(ctx context.Context, gameID uuid.UUID) error {
	d.mu.Lock()
	e := d.engines[gameID]
	d.mu.Unlock()
	if e != nil {
		if err := d.stopEngine(ctx, e); err != nil {
			return err
		}
	}
	return d.terminateOrphan(ctx, gameID)
}

// Remove stops the game's engine as Stop does and deletes its state directory for
// good. Removing a removed game is a no-op. Errors: as Stop; EINTERNAL when the state
// cannot be deleted.
func (d *Driver) Remove(ctx context.Context, gameID uuid.UUID) error {
	unlock, err := d.lockGame(ctx, gameID)
	if err != nil {
		return err
	}
	defer unlock()
	if err := d.stop(ctx, gameID); err != nil {
		return err
	}
	if err := os.RemoveAll(d.stateDir(gameID)); err != nil {
		return fmt.Errorf("remove state of game %s: %w", gameID, err)
	}
	d.logger.Info("engine state removed", "game_id", gameID)
	return nil
}

// stopEngine stops e's supervisor and waits until its process is gone, then forgets
// e. If ctx ends first the grace is cut short (SIGKILL) and the wait goes on.
func (d *Driver) stopEngine(ctx context.Context, e *engine) error {
	e.cancel()
	select {
	case <-e.done:
	case <-ctx.Done():
		e.killOnce.Do(func() { close(e.kill) })
		<-e.done
	}
	d.mu.Lock()
	if d.engines[e.id] == e {
		delete(d.engines, e.id)
	}
	d.mu.Unlock()
	return nil
}

// Instances lists every engine the driver manages (Running is false while one waits
// to be restarted or after it gave up) and every orphan: an engine process that a
// previous galaxyd left running, found through its pidfile, reported with Running
// true and the endpoint it listens on. State directories without a live engine are
// stopped games, not orphans, and are not listed. Errors: EINTERNAL (unreadable
// DataDir).
func (d *Driver) Instances(ctx context.Context) ([]*orchestrator.Instance, error) {
	var list []*orchestrator.Instance
	ours := make(map[uuid.UUID]bool)
	d.mu.Lock()
	for id, e := range d.engines {
		list = append(list, e.instance())
		ours[id] = true
	}
	d.mu.Unlock()

	entries, err := os.ReadDir(filepath.Join(d.config.DataDir, gamesDir))
	if errors.Is(err, fs.ErrNotExist) {
		return list, nil
	} else if err != nil {
		return nil, fmt.Errorf("list engine state: %w", err)
	}
	for _, ent := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id, err := uuid.Parse(ent.Name())
		if err != nil || !ent.IsDir() || ours[id] {
			continue
		}
		pf, err := readPidfile(d.stateDir(id))
		if err != nil || !pf.alive() {
			continue
		}
		list = append(list, &orchestrator.Instance{
			GameID:   id,
			Version:  pf.Version,
			Endpoint: fmt.Sprintf("http://127.0.0.1:%d", pf.Port),
			Running:  true,
			JobID:    jobID(id),
		})
	}
	return list, nil
}

// Endpoint returns the base URL ("http://127.0.0.1:<port>") of the game's running,
// healthy engine. The port may change when the engine is restarted. Errors:
// EUNAVAILABLE when the driver runs no healthy engine for the game (stopped, starting,
// waiting to be restarted, or an orphan of a previous galaxyd).
func (d *Driver) Endpoint(ctx context.Context, gameID uuid.UUID) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.engines[gameID]; e != nil && e.proc != nil {
		return e.proc.endpoint(), nil
	}
	return "", orchestrator.Errorf(orchestrator.EUNAVAILABLE, "engine of game %s is not running", gameID)
}

// CheckVersion implements orchestrator.Driver: v's command must be an absolute path
// to an executable file. Errors: EINVALID naming "command".
func (d *Driver) CheckVersion(v orchestrator.EngineVersion) error {
	return checkCommand(v)
}

// validateSpec checks what the driver needs of spec: a game id and an absolute path
// to an executable file.
func validateSpec(spec orchestrator.EngineSpec) error {
	if spec.GameID == uuid.Nil {
		return orchestrator.FieldErrorf("gameId", "game id is required")
	}
	return checkCommand(spec.Version)
}

// checkCommand checks that v's command is an absolute path to an executable file.
func checkCommand(v orchestrator.EngineVersion) error {
	spec := orchestrator.EngineSpec{Version: v}
	cmd := spec.Version.Command
	if cmd == "" {
		return orchestrator.FieldErrorf("command", "engine version %s has no command for the local driver", spec.Version.Version)
	}
	if !filepath.IsAbs(cmd) {
		return orchestrator.FieldErrorf("command", "engine command %s is not an absolute path", cmd)
	}
	fi, err := os.Stat(cmd)
	if err != nil {
		return orchestrator.FieldErrorf("command", "engine command %s: %v", cmd, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return orchestrator.FieldErrorf("command", "engine command %s is not an executable file", cmd)
	}
	return nil
}

// usable returns EUNAVAILABLE unless the driver is open. The caller holds d.mu.
func (d *Driver) usable() error {
	if d.closed {
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "local driver is closed")
	} else if !d.open {
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "local driver is not open")
	}
	return nil
}

func (d *Driver) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// lockGame takes the game's lock, waiting at most until ctx ends.
func (d *Driver) lockGame(ctx context.Context, id uuid.UUID) (unlock func(), err error) {
	d.mu.Lock()
	if err := d.usable(); err != nil {
		d.mu.Unlock()
		return nil, err
	}
	l := d.locks[id]
	if l == nil {
		l = &gameLock{ch: make(chan struct{}, 1)}
		d.locks[id] = l
	}
	l.refs++
	d.mu.Unlock()

	release := func() {
		d.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(d.locks, id)
		}
		d.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// now is Config.Now.
func (d *Driver) now() time.Time { return d.config.Now() }
