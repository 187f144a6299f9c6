package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestDriver_Start(t *testing.T) {
	t.Run("OK/RelativeDataDir", func(t *testing.T) {
		// galaxyd -dev uses ./.galaxy; engines run inside their state directory, so the
		// driver must hand them an absolute GAME_STATE_PATH.
		t.Chdir(t.TempDir())
		d := MustOpenDriver(t, Config{DataDir: ".galaxy"})
		spec := newSpec(t)
		MustStart(t, d, spec)
		abs, err := filepath.Abs(filepath.Join(".galaxy", "games", spec.GameID.String()))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := MustReadFile(t, abs, "token"), testToken; got != want {
			t.Fatalf("engine in %s got token %q, want %q", abs, got, want)
		}
	})
	t.Run("OK", func(t *testing.T) {
		t.Setenv("GALAXY_LOCAL_TEST_LEAK", "galaxyd-only")
		d := MustOpenDriver(t, Config{})
		spec := newSpec(t)
		in := MustStart(t, d, spec)
		dir := d.stateDir(spec.GameID)

		if got, want := in.GameID, spec.GameID; got != want {
			t.Fatalf("game id %s, want %s", got, want)
		}
		if got, want := in.Version, "1.0.0"; got != want {
			t.Fatalf("version %q, want %q", got, want)
		}
		if got, want := in.JobID, "galaxy-game-"+spec.GameID.String(); got != want {
			t.Fatalf("job id %q, want %q", got, want)
		}
		if !strings.HasPrefix(in.Endpoint, "http://127.0.0.1:") {
			t.Fatalf("endpoint %q, want http://127.0.0.1:<port>", in.Endpoint)
		}
		MustGet(t, in.Endpoint+"/healthz")
		if ep, err := d.Endpoint(context.Background(), spec.GameID); err != nil {
			t.Fatal(err)
		} else if got, want := ep, in.Endpoint; got != want {
			t.Fatalf("Endpoint %q, want %q", got, want)
		}
		insts, err := d.Instances(context.Background())
		if err != nil {
			t.Fatal(err)
		} else if got, want := len(insts), 1; got != want {
			t.Fatalf("%d instances, want %d", got, want)
		} else if !insts[0].Running || insts[0].Endpoint != in.Endpoint {
			t.Fatalf("instance %+v, want running at %s", insts[0], in.Endpoint)
		}

		// The token arrives through the environment, which is otherwise minimal.
		if got, want := MustReadFile(t, dir, "token"), testToken; got != want {
			t.Fatalf("engine got token %q, want %q", got, want)
		}
		env := MustReadFile(t, dir, "environ")
		for _, want := range []string{"GAME_STATE_PATH=" + dir, "GALAXY_ENGINE_ADDR=127.0.0.1:", "PATH="} {
			if !strings.Contains(env, want) {
				t.Fatalf("engine environment lacks %q:\n%s", want, env)
			}
		}
		if strings.Contains(env, "GALAXY_LOCAL_TEST_LEAK") {
			t.Fatalf("galaxyd's environment leaked into the engine's:\n%s", env)
		}

		// ... and nowhere else: not on the world-readable command line, not in the log.
		pid := enginePID(d, spec.GameID)
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			t.Fatal(err)
		} else if strings.Contains(string(cmdline), testToken) {
			t.Fatalf("token on the command line: %q", cmdline)
		}
		log := MustReadFile(t, dir, logName)
		if !strings.Contains(log, "fake engine listening on") {
			t.Fatalf("engine output missing from engine.log:\n%s", log)
		}
		if strings.Contains(log, testToken) {
			t.Fatalf("token in engine.log:\n%s", log)
		}

		// Private state: 0700 directories, 0600 files.
		for path, want := range map[string]os.FileMode{
			filepath.Join(d.config.DataDir, gamesDir): 0o700,
			dir:                             0o700,
			filepath.Join(dir, logName):     0o600,
			filepath.Join(dir, pidfileName): 0o600,
		} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			} else if got := fi.Mode().Perm(); got != want {
				t.Fatalf("%s: mode %o, want %o", path, got, want)
			}
		}
		pf, err := readPidfile(dir)
		if err != nil {
			t.Fatal(err)
		} else if pf == nil || pf.PID != pid || !pf.alive() || "http://127.0.0.1:"+strconv.Itoa(pf.Port) != in.Endpoint {
			t.Fatalf("pidfile %+v, want pid %d at %s", pf, pid, in.Endpoint)
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		spec := newSpec(t)
		first := MustStart(t, d, spec)
		pid := enginePID(d, spec.GameID)
		second := MustStart(t, d, spec)
		if got, want := second.Endpoint, first.Endpoint; got != want {
			t.Fatalf("endpoint %q, want %q", got, want)
		}
		if got, want := enginePID(d, spec.GameID), pid; got != want {
			t.Fatalf("pid %d, want %d (the same process)", got, want)
		}
		if got, want := starts(t, d.stateDir(spec.GameID)), 1; got != want {
			t.Fatalf("%d starts, want %d", got, want)
		}
	})

	t.Run("VersionChange", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		spec := newSpec(t)
		MustStart(t, d, spec)
		dir := d.stateDir(spec.GameID)
		oldPID := enginePID(d, spec.GameID)
		if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"turn":7}`), 0o600); err != nil {
			t.Fatal(err)
		}

		// Another binary for 1.0.1: a link to the same fake engine under another name.
		cmd2 := filepath.Join(t.TempDir(), "engine-1.0.1")
		if err := os.Symlink(testCommand(t), cmd2); err != nil {
			t.Fatal(err)
		}
		spec.Version = orchestrator.EngineVersion{Version: "1.0.1", Command: cmd2}
		in := MustStart(t, d, spec)
		if got, want := in.Version, "1.0.1"; got != want {
			t.Fatalf("version %q, want %q", got, want)
		}
		MustGet(t, in.Endpoint+"/healthz")
		if alive(oldPID) {
			t.Fatalf("old engine %d still runs", oldPID)
		}
		if got, want := MustReadFile(t, dir, "sigterm"), strconv.Itoa(oldPID); got != want {
			t.Fatalf("sigterm recorded by %q, want the old engine %q", got, want)
		}
		if got, want := MustReadFile(t, dir, "command"), cmd2; got != want {
			t.Fatalf("engine runs %q, want %q", got, want)
		}
		if got, want := MustReadFile(t, dir, "state.json"), `{"turn":7}`; got != want {
			t.Fatalf("state %q, want %q (kept across versions)", got, want)
		}
	})

	t.Run("RepairsPermissions", func(t *testing.T) {
		data := t.TempDir()
		spec := newSpec(t)
		dir := filepath.Join(data, gamesDir, spec.GameID.String())
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{filepath.Join(data, gamesDir), dir} {
			if err := os.Chmod(p, 0o777); err != nil {
				t.Fatal(err)
			}
		}
		d := MustOpenDriver(t, Config{DataDir: data})
		MustStart(t, d, spec)
		for _, p := range []string{filepath.Join(data, gamesDir), dir} {
			if fi, err := os.Stat(p); err != nil {
				t.Fatal(err)
			} else if got, want := fi.Mode().Perm(), os.FileMode(0o700); got != want {
				t.Fatalf("%s: mode %o, want %o", p, got, want)
			}
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		notExec := filepath.Join(t.TempDir(), "engine")
		if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for name, mutate := range map[string]func(*orchestrator.EngineSpec){
			"NoGame":        func(s *orchestrator.EngineSpec) { s.GameID = uuid.Nil },
			"NoCommand":     func(s *orchestrator.EngineSpec) { s.Version.Command = "" },
			"Relative":      func(s *orchestrator.EngineSpec) { s.Version.Command = "galaxy-engine" },
			"Missing":       func(s *orchestrator.EngineSpec) { s.Version.Command = "/nonexistent/galaxy-engine" },
			"NotExecutable": func(s *orchestrator.EngineSpec) { s.Version.Command = notExec },
			"Directory":     func(s *orchestrator.EngineSpec) { s.Version.Command = t.TempDir() },
		} {
			t.Run(name, func(t *testing.T) {
				spec := newSpec(t)
				mutate(&spec)
				_, err := d.Start(context.Background(), spec)
				errCode(t, err, orchestrator.EINVALID)
			})
		}
	})

	t.Run("ErrExited", func(t *testing.T) {
		d := MustOpenDriver(t, Config{Env: []string{failEnv + "=1"}})
		spec := newSpec(t)
		_, err := d.Start(context.Background(), spec)
		errCode(t, err, orchestrator.EUNAVAILABLE)
		if msg := orchestrator.ErrorMessage(err); !strings.Contains(msg, "cannot load state.json: corrupt") {
			t.Fatalf("error %q does not quote the engine's last words", msg)
		}
		_, err = d.Endpoint(context.Background(), spec.GameID)
		errCode(t, err, orchestrator.EUNAVAILABLE)
		if insts, err := d.Instances(context.Background()); err != nil {
			t.Fatal(err)
		} else if len(insts) != 0 {
			t.Fatalf("instances %+v, want none", insts)
		}
		if exists(filepath.Join(d.stateDir(spec.GameID), pidfileName)) {
			t.Fatal("pidfile left behind")
		}
	})

	t.Run("ErrUnhealthy", func(t *testing.T) {
		d := MustOpenDriver(t, Config{HealthTimeout: orchestrator.Duration(500 * time.Millisecond), Env: []string{neverHealthyEnv + "=1"}})
		spec := newSpec(t)
		_, err := d.Start(context.Background(), spec)
		errCode(t, err, orchestrator.EUNAVAILABLE)
		if msg := orchestrator.ErrorMessage(err); !strings.Contains(msg, "not healthy") {
			t.Fatalf("error %q, want it to say the engine was not healthy", msg)
		}
		// The engine may have been too slow to record its start; if it did, it is gone.
		if b, err := os.ReadFile(filepath.Join(d.stateDir(spec.GameID), "starts")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				if pid, _ := strconv.Atoi(f); alive(pid) {
					t.Fatalf("unhealthy engine %d left running", pid)
				}
			}
		}
	})

	t.Run("ErrContext", func(t *testing.T) {
		d := MustOpenDriver(t, Config{Env: []string{neverHealthyEnv + "=1"}})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := d.Start(ctx, newSpec(t))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want %v", err, context.DeadlineExceeded)
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		_, err := d.Start(context.Background(), newSpec(t))
		errCode(t, err, orchestrator.EUNAVAILABLE)
	})
}

func TestDriver_Stop(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		spec := newSpec(t)
		MustStart(t, d, spec)
		dir := d.stateDir(spec.GameID)
		pid := enginePID(d, spec.GameID)
		if err := d.Stop(context.Background(), spec.GameID); err != nil {
			t.Fatal(err)
		}
		if alive(pid) {
			t.Fatalf("engine %d still runs", pid)
		}
		if got, want := MustReadFile(t, dir, "sigterm"), strconv.Itoa(pid); got != want {
			t.Fatalf("sigterm recorded by %q, want %q (graceful stop)", got, want)
		}
		if exists(filepath.Join(dir, pidfileName)) {
			t.Fatal("pidfile left after a clean stop")
		}
		if !exists(filepath.Join(dir, "starts")) {
			t.Fatal("state removed by Stop")
		}
		_, err := d.Endpoint(context.Background(), spec.GameID)
		errCode(t, err, orchestrator.EUNAVAILABLE)
		if err := d.Stop(context.Background(), spec.GameID); err != nil {
			t.Fatalf("second stop: %v", err)
		}
		// Start again: the same state directory, a second start.
		MustStart(t, d, spec)
		if got, want := starts(t, dir), 2; got != want {
			t.Fatalf("%d starts, want %d", got, want)
		}
	})

	t.Run("Kill", func(t *testing.T) {
		// Long enough for a -race engine on a busy machine to record the SIGTERM it
		// ignores before the SIGKILL that ends the grace: with 300 ms, the trace
		// checked below depended on how soon the engine was scheduled.
		grace := 2 * time.Second
		d := MustOpenDriver(t, Config{StopGrace: orchestrator.Duration(grace), Env: []string{ignoreTermEnv + "=1"}})
		spec := newSpec(t)
		MustStart(t, d, spec)
		pid := enginePID(d, spec.GameID)
		begin := time.Now()
		if err := d.Stop(context.Background(), spec.GameID); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(begin); took < grace {
			t.Fatalf("stop took %s, want at least the grace %s", took, grace)
		}
		if alive(pid) {
			t.Fatalf("engine %d still runs", pid)
		}
		// It did get SIGTERM first.
		waitFor(t, 5*time.Second, "the sigterm trace", func() bool { return exists(filepath.Join(d.stateDir(spec.GameID), "sigterm")) })
	})

	t.Run("NotRunning", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		if err := d.Stop(context.Background(), uuid.New()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDriver_Remove(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		spec := newSpec(t)
		MustStart(t, d, spec)
		pid := enginePID(d, spec.GameID)
		if err := d.Remove(context.Background(), spec.GameID); err != nil {
			t.Fatal(err)
		}
		if alive(pid) {
			t.Fatalf("engine %d still runs", pid)
		}
		if exists(d.stateDir(spec.GameID)) {
			t.Fatal("state dir still exists")
		}
		if err := d.Remove(context.Background(), spec.GameID); err != nil {
			t.Fatalf("second remove: %v", err)
		}
	})
}

func TestDriver_Close(t *testing.T) {
	d := MustOpenDriver(t, Config{})
	a, b := newSpec(t), newSpec(t)
	MustStart(t, d, a)
	MustStart(t, d, b)
	pids := []int{enginePID(d, a.GameID), enginePID(d, b.GameID)}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Fatalf("engine %d survived Close", pid)
		}
	}
	for _, spec := range []orchestrator.EngineSpec{a, b} {
		dir := d.stateDir(spec.GameID)
		if !exists(filepath.Join(dir, "sigterm")) {
			t.Fatalf("game %s: engine was not stopped gracefully", spec.GameID)
		}
		if exists(filepath.Join(dir, pidfileName)) {
			t.Fatalf("game %s: pidfile left after Close", spec.GameID)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestDriver_backoff(t *testing.T) {
	d := NewDriver(Config{DataDir: "x", RestartBackoffMin: orchestrator.Duration(100 * time.Millisecond), RestartBackoffMax: orchestrator.Duration(time.Second)})
	for n, want := range map[int]time.Duration{
		1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond,
		4: 800 * time.Millisecond, 5: time.Second, 50: time.Second,
	} {
		if got := d.backoff(n); got != want {
			t.Fatalf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestNewDriver_defaults(t *testing.T) {
	d := NewDriver(Config{DataDir: "x"})
	if got, want := d.config.HealthTimeout.Std(), DefaultHealthTimeout; got != want {
		t.Fatalf("health timeout %s, want %s", got, want)
	}
	if got, want := d.config.StopGrace.Std(), DefaultStopGrace; got != want {
		t.Fatalf("stop grace %s, want %s", got, want)
	}
	if got, want := d.backoff(1), DefaultRestartBackoffMin; got != want {
		t.Fatalf("first backoff %s, want %s", got, want)
	}
	if got, want := d.backoff(100), DefaultRestartBackoffMax; got != want {
		t.Fatalf("capped backoff %s, want %s", got, want)
	}
}

// TestDriver_concurrent starts one game from several goroutines while others read:
// one engine runs, every caller sees it, and -race sees no unguarded access.
func TestDriver_concurrent(t *testing.T) {
	d := MustOpenDriver(t, Config{})
	spec := newSpec(t)
	const n = 4
	endpoints := make(chan string, n)
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			in, err := d.Start(context.Background(), spec)
			if err != nil {
				errs <- err
				return
			}
			endpoints <- in.Endpoint
		}()
		go func() {
			defer wg.Done()
			if _, err := d.Instances(context.Background()); err != nil {
				errs <- err
			}
			d.Endpoint(context.Background(), spec.GameID) // EUNAVAILABLE or the endpoint: both fine
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	close(endpoints)
	want := <-endpoints
	for got := range endpoints {
		if got != want {
			t.Fatalf("endpoint %q, want %q (one engine)", got, want)
		}
	}
	if got, want := starts(t, d.stateDir(spec.GameID)), 1; got != want {
		t.Fatalf("%d starts, want %d", got, want)
	}
}
