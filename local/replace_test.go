package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// script writes an executable shell script into dir and returns its path.
func script(tb testing.TB, dir, body string) string {
	tb.Helper()
	p := filepath.Join(dir, "engine.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		tb.Fatal(err)
	}
	return p
}

// Task 2.1: a replacement that does not come up brings the engine it replaced back,
// on the same state, and never runs both at once.
func TestDriver_FailedReplacement(t *testing.T) {
	rec := make(changes, 10)
	d := MustOpenDriver(t, Config{OnChange: rec.OnChange})
	spec := newSpec(t)
	first := MustStart(t, d, spec)
	dir := d.stateDir(spec.GameID)
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"turn":3}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// Version 2 fails at once, after noting whether the old engine still ran.
	broken := spec
	broken.Version = orchestrator.EngineVersion{Version: "2.0.0", Command: script(t, t.TempDir(),
		`pid=$(tail -n 1 "$GAME_STATE_PATH/starts"); if kill -0 "$pid" 2>/dev/null; then echo "$pid" > "$GAME_STATE_PATH/overlap"; fi
echo "cannot read state.json" >&2; exit 1`)}

	_, err := d.Start(context.Background(), broken)
	errCode(t, err, orchestrator.EUNAVAILABLE)
	for _, want := range []string{"engine 2.0.0", "did not come up", "cannot read state.json", "the previous engine 1.0.0 runs again"} {
		if !strings.Contains(orchestrator.ErrorMessage(err), want) {
			t.Errorf("message %q: want it to name %q", orchestrator.ErrorMessage(err), want)
		}
	}
	if exists(filepath.Join(dir, "overlap")) {
		t.Fatalf("the new engine started while the old one (pid %s) still ran", MustReadFile(t, dir, "overlap"))
	}
	ep, err := d.Endpoint(context.Background(), spec.GameID)
	if err != nil {
		t.Fatal(err)
	}
	MustGet(t, ep+"/healthz")
	if got, want := MustReadFile(t, dir, "state.json"), `{"turn":3}`; got != want {
		t.Fatalf("state %q, want %q", got, want)
	}
	if got, want := MustReadFile(t, dir, "command"), testCommand(t); got != want {
		t.Fatalf("the engine running is %s, want the previous version's %s", got, want)
	}
	c := rec.next(t, 10*time.Second, "the previous engine", up)
	if c.Version != "1.0.0" || c.Endpoint != ep || c.Endpoint == first.Endpoint {
		t.Fatalf("news %+v, want version 1.0.0 running at its new endpoint %s", c, ep)
	}
	// The previous spec is what runs: starting it again is a no-op.
	if in := MustStart(t, d, spec); in.Endpoint != ep {
		t.Fatalf("start of the previous spec: endpoint %s, want %s", in.Endpoint, ep)
	}
}

// Task 2.4: the restart backoff is the only thing that restarts a crashed engine. A
// Start of the same spec meanwhile waits for the supervisor's restart instead of
// launching an engine of its own.
func TestDriver_StartDuringBackoff(t *testing.T) {
	t.Run("ErrNotBackInTime", func(t *testing.T) {
		rec := make(changes, 10)
		d := MustOpenDriver(t, Config{OnChange: rec.OnChange, RestartBackoffMin: orchestrator.Duration(time.Hour), RestartBackoffMax: orchestrator.Duration(time.Hour)})
		spec := newSpec(t)
		in := MustStart(t, d, spec)
		crash(t, in.Endpoint)
		rec.next(t, 10*time.Second, "the crash", down)

		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := d.Start(ctx, spec)
		errCode(t, err, orchestrator.EUNAVAILABLE)
		if !strings.Contains(orchestrator.ErrorMessage(err), "being restarted") {
			t.Errorf("message %q: want it to say the driver is restarting the engine", orchestrator.ErrorMessage(err))
		}
		if got, want := starts(t, d.stateDir(spec.GameID)), 1; got != want {
			t.Fatalf("%d starts, want %d (Start must not launch an engine during the backoff)", got, want)
		}
	})
	t.Run("OKWaitsForTheRestart", func(t *testing.T) {
		rec := make(changes, 10)
		d := MustOpenDriver(t, Config{OnChange: rec.OnChange, RestartBackoffMin: orchestrator.Duration(300 * time.Millisecond), RestartBackoffMax: orchestrator.Duration(300 * time.Millisecond)})
		spec := newSpec(t)
		in := MustStart(t, d, spec)
		crash(t, in.Endpoint)
		rec.next(t, 10*time.Second, "the crash", down)

		again := MustStart(t, d, spec)
		if again.Restarts != 1 || again.Endpoint == in.Endpoint {
			t.Fatalf("start during the backoff returned %+v, want the supervisor's restarted engine (1 restart)", again)
		}
		if got, want := starts(t, d.stateDir(spec.GameID)), 2; got != want {
			t.Fatalf("%d starts, want %d (the first run and the supervisor's restart)", got, want)
		}
	})
}

func TestDriver_CheckVersion(t *testing.T) {
	allowed := t.TempDir()
	engine := filepath.Join(allowed, "galaxy-engine")
	if err := os.Symlink(testCommand(t), engine); err != nil {
		t.Fatal(err)
	}
	outside := script(t, t.TempDir(), "exit 0")
	escape := filepath.Join(allowed, "escape")
	if err := os.Symlink(outside, escape); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "allowed-link")
	if err := os.Symlink(allowed, link); err != nil {
		t.Fatal(err)
	}
	inAllowed := script(t, allowed, "exit 0")
	notExec := filepath.Join(allowed, "not-exec")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		dirs    []string
		command string
		ok      bool
	}{
		{"OKNoRestriction", nil, outside, true},
		{"OKInDir", []string{allowed}, inAllowed, true},
		{"OKInOneOfTheDirs", []string{t.TempDir(), allowed}, inAllowed, true},
		{"OKSymlinkTargetInDir", []string{filepath.Dir(testCommand(t))}, engine, true},
		{"OKDirIsASymlink", []string{link}, inAllowed, true},
		{"ErrSymlinkInDirToOutside", []string{allowed}, engine, false},
		{"ErrOutside", []string{allowed}, outside, false},
		{"ErrSymlinkOutOfDir", []string{allowed}, escape, false},
		{"ErrRelative", nil, "galaxy-engine", false},
		{"ErrMissing", nil, filepath.Join(allowed, "missing"), false},
		{"ErrNotExecutable", nil, notExec, false},
		{"ErrEmpty", nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := MustOpenDriver(t, Config{EngineDirs: tc.dirs})
			v := orchestrator.EngineVersion{Version: "1.0.0", Command: tc.command}
			err := d.CheckVersion(v)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var oe *orchestrator.Error
			if !errors.As(err, &oe) || oe.Code != orchestrator.EINVALID || oe.Field != "command" {
				t.Fatalf("got %v, want EINVALID naming command", err)
			}
			spec := newSpec(t)
			spec.Version = v
			if _, err := d.Start(context.Background(), spec); orchestrator.ErrorCode(err) != orchestrator.EINVALID {
				t.Fatalf("start: got %v, want EINVALID", err)
			}
			if exists(d.stateDir(spec.GameID)) {
				t.Fatal("a refused start created the state directory")
			}
		})
	}
	t.Run("OKInAllowedDir", func(t *testing.T) {
		d := MustOpenDriver(t, Config{EngineDirs: []string{filepath.Dir(testCommand(t))}})
		spec := newSpec(t)
		MustStart(t, d, spec)
	})
}

func TestDriver_OnCallError(t *testing.T) {
	type failure struct {
		backend, call string
		err           error
	}
	got := make(chan failure, 10)
	d := MustOpenDriver(t, Config{Env: []string{failEnv + "=1"}, OnCallError: func(backend, call string, err error) { got <- failure{backend, call, err} }})
	_, err := d.Start(context.Background(), newSpec(t))
	errCode(t, err, orchestrator.EUNAVAILABLE)
	select {
	case f := <-got:
		if f.backend != "local" || f.call != "spawn engine" || f.err == nil || strings.Contains(f.err.Error(), testToken) {
			t.Fatalf("OnCallError(%q, %q, %v), want local spawn engine with the error, no token", f.backend, f.call, f.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnCallError not called for a failed spawn")
	}
}
