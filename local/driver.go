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
	"strings"
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

// Config configures a Driver. Zero durations take the Default* values. The hcl tags
// are the keys of galaxyd's `local { ... }` block (durations as text, "30s").
type Config struct {
	// DataDir is required. Engine state lives in DataDir/games/<uuid> (mode 0700).
	DataDir string
	// Logger receives the driver's logs, under the name "local"; nil discards them.
	Logger hclog.Logger
	// HealthTimeout bounds how long a starting engine may take to answer 200 on
	// GET /healthz.
	HealthTimeout orchestrator.Duration `hcl:"health_timeout,optional"`
	// StopGrace is how long an engine has to exit after SIGTERM before it gets SIGKILL.
	StopGrace orchestrator.Duration `hcl:"stop_grace,optional"`
	// RestartBackoffMin and RestartBackoffMax bound the wait before restarting a
	// crashed engine: Min, doubled per consecutive crash, capped at Max. A run that
	// lasts at least Max resets the doubling. This backoff is the only thing that
	// restarts a crashed engine: a Start of the same spec meanwhile waits for it.
	RestartBackoffMin orchestrator.Duration `hcl:"restart_backoff_min,optional"`
	RestartBackoffMax orchestrator.Duration `hcl:"restart_backoff_max,optional"`
	// MaxRestarts caps consecutive automatic restarts (same reset rule as the backoff);
	// past it the engine is left stopped until the next Start. 0 means no cap.
	MaxRestarts int `hcl:"max_restarts,optional"`
	// Env holds extra KEY=VALUE pairs for every engine's environment, which is
	// otherwise only PATH plus the engine contract's variables (those win).
	Env []string `hcl:"env,optional"`
	// EngineDirs, when not empty, are the only directories engine commands may live
	// in (after resolving symlinks, in the command and in the directories): a version
	// whose command lies elsewhere is refused by CheckVersion and Start (EINVALID
	// naming "command"). Empty means no restriction.
	EngineDirs []string `hcl:"engine_dirs,optional"`
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// OnChange, when set, hears of every engine that changed without a Start asking,
	// from the engine's supervising goroutine with no driver lock held: it crashed
	// (Running false, Reason the exit status and what the driver does next, Restarts
	// the count so far), the driver restarted it and it is healthy again (Running
	// true, its new Endpoint, Restarts counting this restart), the driver gave up
	// on it (Running false, Reason says so), or, after a replacement that did not
	// come up, the previous engine runs again (Running true, its Version and new
	// Endpoint). The driver restarts crashed engines by itself: OnChange must not
	// call Start, Stop or Remove for the game.
	OnChange orchestrator.InstanceObserver
	// OnCallError, when set, is called for every engine process that could not be
	// started or did not become healthy (backend "local", call "spawn engine"), with
	// the error, which holds no token.
	OnCallError func(backend, call string, err error)
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
	def := func(d *orchestrator.Duration, v time.Duration) {
		if *d <= 0 {
			*d = orchestrator.Duration(v)
		}
	}
	def(&cfg.HealthTimeout, DefaultHealthTimeout)
	def(&cfg.StopGrace, DefaultStopGrace)
	def(&cfg.RestartBackoffMin, DefaultRestartBackoffMin)
	def(&cfg.RestartBackoffMax, DefaultRestartBackoffMax)
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
// returned as is; one of the same spec that crashed and waits for its restart is
// waited for (the restart backoff is the only thing that restarts a crashed engine),
// until it is healthy, the driver gives up on it or ctx ends. Any other engine of the
// game (another version, or another token) is stopped first, keeping its state: two
// engines never write one state directory. If the new engine then does not come up,
// the one it replaced is started again with its own spec before Start returns, and
// the error says whether it runs again (Config.OnChange hears of its new endpoint).
// An engine a previous galaxyd left running is terminated first. Errors: EINVALID
// (no game id; command empty, not absolute, not executable or outside EngineDirs),
// EUNAVAILABLE (the engine exited or was not healthy in time, with the end of its
// log; a crashed engine not back before ctx ended; the driver is closed), ctx's error.
//
// The returned Instance counts automatic restarts since the engine was last launched
// by a Start: a Start that launches a process begins again at 0.
func (d *Driver) Start(ctx context.Context, spec orchestrator.EngineSpec) (*orchestrator.Instance, error) {
	if err := d.validateSpec(spec); err != nil {
		return nil, err
	}
	unlock, err := d.lockGame(ctx, spec.GameID)
	if err != nil {
		return nil, err
	}
	defer unlock()

	d.mu.Lock()
	e := d.engines[spec.GameID]
	if e != nil && e.same(spec) && !e.stopped() {
		d.mu.Unlock()
		return d.waitRestart(ctx, e)
	}
	d.mu.Unlock()
	var prev *orchestrator.EngineSpec // the engine this start replaces, if it was live
	if e != nil {
		if !e.stopped() {
			d.logger.Info("replacing engine", "game_id", spec.GameID, "from", e.spec.Version.Version, "to", spec.Version.Version)
			prev = &e.spec
		}
		if err := d.stopEngine(ctx, e); err != nil {
			return nil, err
		}
	}
	in, err := d.launch(ctx, spec)
	if err == nil || prev == nil || d.isClosed() {
		return in, err
	}
	return nil, d.bringBack(*prev, spec, err)
}

// launch starts a new supervisor for spec and waits for its first spawn.
func (d *Driver) launch(ctx context.Context, spec orchestrator.EngineSpec) (*orchestrator.Instance, error) {
	if repaired, err := privateDir(d.stateDir(spec.GameID)); err != nil {
		return nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "state dir of game %s: %v", spec.GameID, err)
	} else if repaired {
		d.logger.Warn("narrowed permissions of the state directory to 0700", "game_id", spec.GameID)
	}

	e := d.newEngine(spec)
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

	var err error
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

// bringBack starts the engine a failed replacement replaced, with its own spec, on
// the same state, and returns the replacement's error saying how that went.
func (d *Driver) bringBack(prev, spec orchestrator.EngineSpec, cause error) error {
	failed := fmt.Sprintf("engine %s of game %s did not come up: %s", spec.Version.Version, spec.GameID, orchestrator.ErrorMessage(cause))
	d.logger.Warn("new engine did not come up, starting the previous one again", "game_id", spec.GameID, "version", prev.Version.Version, "error", orchestrator.ErrorMessage(cause))
	ctx, cancel := context.WithTimeout(context.Background(), d.config.HealthTimeout.Std()+d.config.StopGrace.Std())
	defer cancel()
	in, err := d.launch(ctx, prev)
	if err != nil {
		d.logger.Error("the previous engine did not come back either", "game_id", spec.GameID, "version", prev.Version.Version, "error", orchestrator.ErrorMessage(err))
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "%s; bringing back the previous engine %s failed too: %s", failed, prev.Version.Version, orchestrator.ErrorMessage(err))
	}
	d.observe(in)
	return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "%s; the previous engine %s runs again at %s", failed, prev.Version.Version, in.Endpoint)
}

// waitRestart returns the instance of e, a live engine of the spec asked for: at
// once if it runs, else once its supervisor's restart is healthy. Errors:
// EUNAVAILABLE when the supervisor gives up or ctx ends first.
func (d *Driver) waitRestart(ctx context.Context, e *engine) (*orchestrator.Instance, error) {
	for {
		d.mu.Lock()
		if e.proc != nil {
			defer d.mu.Unlock()
			return e.instance(), nil
		}
		changed, restarts, lastErr := e.changed, e.restarts, e.lastErr
		d.mu.Unlock()
		if e.stopped() {
			// It gave up (or its first start failed): start it afresh.
			if err := d.stopEngine(ctx, e); err != nil {
				return nil, err
			}
			return d.launch(ctx, e.spec)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "engine %s of game %s is being restarted by the driver after a crash (restart %d; %v) and was not healthy in time: %v",
				e.spec.Version.Version, e.id, restarts, lastErr, ctx.Err())
		}
	}
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
// to an executable file and, when Config.EngineDirs is set, lie under one of those
// directories once symlinks are resolved. Errors: EINVALID naming "command".
func (d *Driver) CheckVersion(v orchestrator.EngineVersion) error {
	return d.checkCommand(v)
}

// validateSpec checks what the driver needs of spec: a game id and a command
// CheckVersion accepts.
func (d *Driver) validateSpec(spec orchestrator.EngineSpec) error {
	if spec.GameID == uuid.Nil {
		return orchestrator.FieldErrorf("gameId", "game id is required")
	}
	return d.checkCommand(spec.Version)
}

// checkCommand is CheckVersion.
func (d *Driver) checkCommand(v orchestrator.EngineVersion) error {
	cmd := v.Command
	if cmd == "" {
		return orchestrator.FieldErrorf("command", "engine version %s has no command for the local driver", v.Version)
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
	if len(d.config.EngineDirs) == 0 {
		return nil
	}
	real, err := filepath.EvalSymlinks(cmd)
	if err != nil {
		return orchestrator.FieldErrorf("command", "engine command %s: %v", cmd, errors.Unwrap(err))
	}
	for _, dir := range d.config.EngineDirs {
		rd, err := filepath.EvalSymlinks(dir)
		if err != nil {
			continue // a directory that does not exist holds no engine
		}
		if rel, err := filepath.Rel(rd, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return nil
		}
	}
	return orchestrator.FieldErrorf("command", "engine command %s (%s) is not in an allowed engine directory (%s)", cmd, real, strings.Join(d.config.EngineDirs, ", "))
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
