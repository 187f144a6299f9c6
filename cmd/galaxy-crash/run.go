package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// run is the harness: start galaxyd, drive games and writes, kill and restart galaxyd
// cfg.Kills times, let everything settle, shut down gracefully and check. It returns
// an error only when the run could not happen at all; broken promises are
// Result.Violations.
func run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	began := time.Now()
	if cfg.Seed == 0 {
		cfg.Seed = began.UnixNano()
	}
	logw := cfg.Log
	if logw == nil {
		logw = io.Discard
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "galaxy-crash %6.1fs: %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0))

	temp := cfg.WorkDir == ""
	if temp {
		dir, err := os.MkdirTemp("", "galaxy-crash-")
		if err != nil {
			return nil, err
		}
		cfg.WorkDir = dir
	}
	res := &Result{Seed: cfg.Seed, WorkDir: cfg.WorkDir, FailedByCode: map[string]int{}}
	defer func() { res.Duration = time.Since(began) }()

	// The engine gets a path unique to this run: its processes are found in /proc by
	// their executable, and nothing else on the machine can share it.
	engineBin := filepath.Join(cfg.WorkDir, "bin", fmt.Sprintf("galaxy-engine-%x", uint64(cfg.Seed)))
	if err := copyFile(cfg.Engine, engineBin, 0o755); err != nil {
		return nil, fmt.Errorf("copy engine: %w", err)
	}
	dataDir := filepath.Join(cfg.WorkDir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	hcl := filepath.Join(cfg.WorkDir, "galaxyd.hcl")
	// Engines idle for a second go to sleep (the archive is galaxyd's default, a
	// directory under the data dir), and wake a second before their turn.
	conf := fmt.Appendf(nil, "operations {\n  workers = %d\n}\nidle {\n  after = \"1s\"\n  wake_ahead = \"1s\"\n}\n", cfg.Workers)
	if err := os.WriteFile(hcl, conf, 0o600); err != nil {
		return nil, err
	}
	port, err := freeLoopbackPort(rng)
	if err != nil {
		return nil, err
	}
	c := newClient(port)
	d := &daemon{
		bin: cfg.Galaxyd,
		args: []string{"-dev", "-listen", "127.0.0.1:" + strconv.Itoa(port), "-data-dir", dataDir,
			"-engine-command", engineBin, "-log-level", "warn", "-config", hcl},
		logf:   filepath.Join(cfg.WorkDir, "galaxyd.log"),
		client: c,
	}
	if err := d.start(ctx); err != nil {
		return res, err
	}
	defer d.kill() // only reached with the daemon still up on an early return
	logf("galaxyd up on 127.0.0.1:%d, data in %s", port, dataDir)

	// Leave part of the budget for settling and checking whatever happens.
	reserve := min(90*time.Second, cfg.Timeout/3)
	deadline, _ := ctx.Deadline()
	loadCtx, stopLoad := context.WithDeadline(ctx, deadline.Add(-reserve))
	defer stopLoad()

	l := newLedger()
	w := &workload{c: c, l: l, games: cfg.Games, cron: "@every " + cfg.Every.String()}
	var wg sync.WaitGroup
	for i := range cfg.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.writer(loadCtx, rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i+1))))
		}()
	}
	mon := &monitor{bin: engineBin, res: res}
	monCtx, stopMon := context.WithCancel(ctx)
	var monWG sync.WaitGroup
	monWG.Add(1)
	go func() {
		defer monWG.Done()
		mon.watch(monCtx)
	}()

	killLoop(loadCtx, cfg, rng, d, mon, res, logf)
	stopLoad()
	wg.Wait()
	logf("%d kills, %d restarts; writes stopped", res.Kills, res.Restarts)

	up := !d.exited()
	var settled time.Time
	if up {
		settled = settle(ctx, c, l, res, logf)
	}
	stopMon()
	monWG.Wait()

	shutdown := time.Now()
	if up {
		if err := d.terminate(30 * time.Second); err != nil {
			res.violate(CheckDaemon, uuid.Nil, "graceful shutdown: %v", err)
		}
	}
	logf("galaxyd shut down; checking")
	checkOrphans(engineBin, res)
	checkBolt(filepath.Join(dataDir, "galaxy.db"), res)
	checkStore(ctx, dataDir, l, res, checkTimes{settled: settled, shutdown: shutdown, every: cfg.Every})
	l.mu.Lock()
	res.OrdersAcked, res.PausesAcked, res.Rejected, res.Indeterminate, res.ServerErrors = l.orders, l.pauses, l.rejected, l.lost, l.server
	for e := range l.errs {
		res.Notes = append(res.Notes, "server error: "+e)
	}
	l.mu.Unlock()
	if temp && len(res.Violations) == 0 {
		os.RemoveAll(cfg.WorkDir)
		res.WorkDir += " (removed)"
	}
	return res, nil
}

func (cfg *Config) validate() error {
	switch {
	case cfg.Galaxyd == "" || cfg.Engine == "":
		return errors.New("the galaxyd and engine binaries are required")
	case cfg.Kills < 0:
		return errors.New("kills must not be negative")
	case cfg.MinDelay <= 0 || cfg.MaxDelay < cfg.MinDelay:
		return errors.New("need 0 < min-delay <= max-delay")
	case cfg.Games < 1 || cfg.Writers < 1 || cfg.Workers < 1:
		return errors.New("games, writers and workers must be at least 1")
	case cfg.Every < orchestrator.MinEveryInterval:
		return fmt.Errorf("every must be at least %s", orchestrator.MinEveryInterval)
	case cfg.Timeout <= 0:
		return errors.New("timeout must be positive")
	}
	return nil
}

// killLoop lets galaxyd run for a random delay, kills it with SIGKILL and starts it
// again on the same data directory and port, cfg.Kills times or until ctx ends. The
// random delay is the only sleep of the harness: it *is* the experiment.
func killLoop(ctx context.Context, cfg Config, rng *rand.Rand, d *daemon, mon *monitor, res *Result, logf func(string, ...any)) {
	for i := 0; i < cfg.Kills; i++ {
		delay := cfg.MinDelay + time.Duration(rng.Int64N(int64(cfg.MaxDelay-cfg.MinDelay)+1))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			res.note("kill loop stopped by the time budget after %d of %d kills", i, cfg.Kills)
			return
		case <-t.C:
		}
		if d.exited() {
			res.violate(CheckDaemon, uuid.Nil, "galaxyd exited by itself before kill %d: %v: %s", i+1, d.cmd.ProcessState, d.logTail())
		} else {
			mon.killing(d.pid())
			d.kill()
			res.Kills++
		}
		if err := d.start(ctx); err != nil {
			if ctx.Err() != nil {
				res.note("kill loop stopped by the time budget during restart %d", i+1)
				// The budget ended while galaxyd was starting: start it with a
				// fresh allowance so that the run can still settle and be checked.
				if err := d.start(context.Background()); err != nil {
					res.violate(CheckDaemon, uuid.Nil, "galaxyd does not start again after kill %d: %v", i+1, err)
				}
				return
			}
			res.violate(CheckDaemon, uuid.Nil, "galaxyd does not start again after kill %d: %v", i+1, err)
			return
		}
		res.Restarts++
		mon.restarted()
		if (i+1)%10 == 0 {
			logf("kill %d/%d after %s", i+1, cfg.Kills, delay.Round(time.Millisecond))
		}
	}
}

// settle brings the system to rest: replays lost creates, checks the acknowledged
// games through the API, pauses every game (a paused game queues no scheduled turn,
// and force-next-turn is refused), then waits until no operation is queued or
// running. It returns the moment it got there.
func settle(ctx context.Context, c *ghttp.Client, l *ledger, res *Result, logf func(string, ...any)) time.Time {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	wait := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-poll.C:
			return true
		}
	}
	for {
		p, ok := l.popCreate()
		if !ok {
			break
		}
		v, _, err := c.CreateGame(ctx, p.in, p.key)
		if err == nil && v.Game != nil {
			l.addGame(v.ID, p.users)
			// Not started: the harness never sent a start for it.
		} else if err != nil && !answered(err) && wait() {
			l.pushCreate(p)
		}
	}

	// Check 1 (games), through the API as the lobby sees it.
	for _, g := range l.all() {
		for {
			_, err := c.Game(ctx, g.ID)
			if err == nil {
				break
			}
			if answered(err) {
				res.violate(CheckAcked, g.ID, "acknowledged game: GET answers %v", err)
				break
			}
			if !wait() {
				res.violate(CheckAcked, g.ID, "acknowledged game: GET failed until the deadline: %v", err)
				break
			}
		}
	}

	for _, g := range l.all() {
		for {
			_, err := c.Pause(ctx, g.ID, orchestrator.SourceLobby)
			if err == nil {
				l.paused(g.ID, time.Now())
				break
			}
			if answered(err) && ghttp.ErrorStatus(orchestrator.ErrorCode(err)) == http.StatusConflict {
				break // removed or finished: schedules nothing
			}
			if !wait() {
				res.note("game %s: could not pause it before the deadline", g.ID)
				break
			}
		}
	}
	logf("all games paused; waiting for operations to end")

	for {
		var busy []string
		list := gameList(ctx, c)
		for _, id := range list {
			ops, err := c.Operations(ctx, id, orchestrator.MaxListLimit)
			if err != nil {
				busy = append(busy, fmt.Sprintf("game %s: operations unreadable: %v", id, err))
				continue
			}
			for _, op := range ops {
				if !op.Done() {
					busy = append(busy, fmt.Sprintf("%s %s of game %s is %s (attempts %d)", op.Op, op.ID, id, op.Status, op.Attempts))
				}
			}
		}
		if list != nil && len(busy) == 0 {
			return time.Now()
		}
		if !wait() {
			for _, b := range busy {
				res.violate(CheckSettle, uuid.Nil, "not terminal 60s after the last kill: %s", b)
			}
			return time.Now()
		}
	}
}

// gameList returns every game's id, or nil when the API does not answer.
func gameList(ctx context.Context, c *ghttp.Client) []uuid.UUID {
	ids := []uuid.UUID{}
	for g, err := range c.EachGame(ctx, orchestrator.GameFilter{}) {
		if err != nil {
			return nil
		}
		ids = append(ids, g.ID)
	}
	return ids
}
