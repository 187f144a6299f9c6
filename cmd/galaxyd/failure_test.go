package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/local"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// mustScript writes an executable shell script beside the engine binary (the engine
// directory -dev allows commands in) and returns its path; dir makes its name unique.
func mustScript(tb testing.TB, dir, name, body string) string {
	tb.Helper()
	path := filepath.Join(filepath.Dir(engineBin), filepath.Base(dir)+"-"+name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestFailedPatchKeepsOldEngine patches a running game to a version whose engine
// exits at once: the operation fails with the reason, the game stays running on its old
// engine and version, and turns go on.
func TestFailedPatchKeepsOldEngine(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	broken := mustScript(t, t.TempDir(), "broken-engine", "echo 'cannot open the galaxy' >&2\nexit 3")
	a.must(201, "POST", "/api/v1/engine-versions", uuid.Nil, map[string]any{"version": "0.1.1", "command": broken}, nil)
	id := MustStartGame(t, a, yearly, "Patchy")
	a.action(id, "force-next-turn", nil)

	op := a.waitDone(a.post(id, "patch", map[string]string{"version": "0.1.1"}), 60*time.Second)
	if op.Status != orchestrator.OpFailed || !strings.Contains(op.ErrorMessage, "did not start") {
		t.Fatalf("patch to a broken engine: %s %s %q, want failed naming the cause", op.Status, op.ErrorCode, op.ErrorMessage)
	}
	v := a.game(id)
	if v.Runtime.Status != orchestrator.StatusRunning || v.EngineVersion != DevEngineVersion || v.Runtime.EngineVersion != DevEngineVersion || v.Runtime.LastError == "" {
		t.Fatalf("after the failed patch: status %s game %s runtime %s lastError %q, want running on %s with the reason",
			v.Runtime.Status, v.EngineVersion, v.Runtime.EngineVersion, v.Runtime.LastError, DevEngineVersion)
	}
	a.action(id, "force-next-turn", nil)
	if got := engineState(t, m, id).Turn; got != 2 {
		t.Fatalf("engine at turn %d after the failed patch and a turn, want 2", got)
	}
}

// TestVersionCommandChecked registers versions whose command cannot run: a 400 naming
// the field, at once.
func TestVersionCommandChecked(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	notExec := filepath.Join(t.TempDir(), "engine.txt")
	if err := os.WriteFile(notExec, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"/no/such/engine", notExec, "relative/engine"} {
		code, body := a.do("POST", "/api/v1/engine-versions", uuid.Nil, map[string]any{"version": "0.2.0", "command": cmd})
		if code != http.StatusBadRequest || !strings.Contains(string(body), `"field":"command"`) {
			t.Errorf("command %s: %d %s, want 400 naming command", cmd, code, body)
		}
	}
	code, body := a.do("POST", "/api/v1/engine-versions", uuid.Nil, map[string]any{"version": "0.2.0", "imageRef": "galaxy-engine:0.2.0"})
	if code != http.StatusBadRequest || !strings.Contains(string(body), `"field":"command"`) {
		t.Errorf("an image only, on the local driver: %d %s, want 400 naming command", code, body)
	}
}

// TestCrashLoopUnderTraffic runs an engine that, once it has started, dies 0.4 s after
// every launch, under ~10 player calls a second: every call gets a coded answer at once,
// and the engine is launched no more often than the local driver's restart backoff
// allows — player calls never start engines. The first launch runs until the test
// kills it, so the start does not depend on how fast a busy machine brings an engine
// up (0.4 s was not always enough for it to answer the start's init).
func TestCrashLoopUnderTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a crash-looping engine for a few seconds")
	}
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	loop := filepath.Join(t.TempDir(), "crash-loop")
	flaky := mustScript(t, t.TempDir(), "flaky-engine", fmt.Sprintf("if [ -e %s ]; then\n%s & pid=$!\nsleep 0.4\nkill -9 $pid\nexit 1\nfi\nexec %s", loop, engineBin, engineBin))
	a.must(201, "POST", "/api/v1/engine-versions", uuid.Nil, map[string]any{"version": "0.3.0", "command": flaky}, nil)
	var g orchestrator.GameView
	a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
		"engineVersion": "0.3.0",
		"schedule":      map[string]string{"cron": yearly},
		"players":       []map[string]any{{"userId": uuid.New(), "raceName": "Loopy"}},
	}, &g)
	a.action(g.ID, "start", nil)
	if err := os.WriteFile(loop, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := syscall.Kill(MustReadPidfile(t, m, g.ID).PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	logPath := filepath.Join(m.Config.DataDir, "games", g.ID.String(), "engine.log")
	// Forty player calls, about ten a second: as many whatever the machine's speed;
	// the bound below follows the time they took.
	for range 40 {
		req, _ := http.NewRequest("GET", a.base+"/api/v1/games/"+g.ID.String()+"/report", nil)
		req.Header.Set("X-Galaxy-User", g.Players[0].UserID.String())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// 503 while no engine runs; 504 (engine_unreachable) for a call that reaches an
		// engine that has just died, before the driver has seen it exit.
		switch {
		case resp.StatusCode == http.StatusOK:
		case (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout) && resp.Header.Get("Retry-After") != "":
		default:
			t.Fatalf("report during a crash loop: %d (Retry-After %q), want 200, or 503 or 504 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		time.Sleep(100 * time.Millisecond) // ~10 player calls per second
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// The start's launch, then, after the kill, one after each backoff of 0.5, 1, 2, 4 s
	// (each run lasts 0.4 s): at the earliest 0.5, 1.9, 4.3 and 8.7 s after the kill.
	// The bound is what that schedule allows by the time the log was read: a slow
	// machine, whose calls end later, gets a wider bound instead of a failure, and
	// still fails if player calls started engines.
	elapsed := time.Since(began)
	got := strings.Count(string(b), "local driver: starting engine")
	if allowed := launchesAllowed(elapsed, 400*time.Millisecond, local.DefaultRestartBackoffMin, local.DefaultRestartBackoffMax); got > allowed {
		t.Fatalf("engine launched %d times by %s after its crash; the restart backoff allows at most %d", got, elapsed.Round(time.Millisecond), allowed)
	}
}

// launchesAllowed is how many launches of an engine the local driver's restart backoff
// (backoffMin doubling up to backoffMax) allows by elapsed after the crash of its first
// launch, for an engine that dies run after every restart: the first launch, and each
// restart at the earliest one backoff after the previous crash.
func launchesAllowed(elapsed, run, backoffMin, backoffMax time.Duration) int {
	launches, at, backoff := 1, time.Duration(0), backoffMin
	for {
		if at += backoff; at > elapsed {
			return launches
		}
		launches++
		at += run
		backoff = min(2*backoff, backoffMax)
	}
}

// TestSettingsCheckedAtCreate: -dev registers the reference engine with the settings
// schema it publishes, so settings it would refuse at start are a 400 at create,
// naming the setting.
func TestSettingsCheckedAtCreate(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	for settings, field := range map[string]string{
		`{"maxTurns": -1}`:  "settings.maxTurns",
		`{"maxTurns": 1.5}`: "settings.maxTurns",
		`{"seed": "x"}`:     "settings.seed",
	} {
		var s map[string]any
		if err := json.Unmarshal([]byte(settings), &s); err != nil {
			t.Fatal(err)
		}
		code, body := a.do("POST", "/api/v1/games", uuid.Nil, map[string]any{
			"engineVersion": DevEngineVersion,
			"schedule":      map[string]string{"cron": yearly},
			"players":       []map[string]any{{"userId": uuid.New(), "raceName": "Setty"}},
			"settings":      s,
		})
		if code != http.StatusBadRequest || !strings.Contains(string(body), `"field":"`+field+`"`) {
			t.Errorf("settings %s: %d %s, want 400 naming %s", settings, code, body, field)
		}
	}
}

// TestEngineCrashObserved kills a running engine: the local driver restarts it on a new
// port, and the runtime shows the new endpoint — from the driver's news, not the
// reconciler's next pass, which is an hour away here (at its default of 30 s, a pass
// could stand in for the news within the wait's deadline).
func TestEngineCrashObserved(t *testing.T) {
	m, a := MustRunFaultMain(t, "reconcile {\n  interval = \"1h\"\n}\n")
	id := MustStartGame(t, a, yearly, "Crashy")
	before := a.game(id).Runtime
	pf := MustReadPidfile(t, m, id)
	if err := killPid(pf.PID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the restarted engine's endpoint in the runtime", func() bool {
		r := a.game(id).Runtime
		return r.EngineEndpoint != "" && r.EngineEndpoint != before.EngineEndpoint && r.EngineHealth == orchestrator.HealthPassing && r.Restarts >= 1
	})
	if r := a.game(id).Runtime; r.Status != orchestrator.StatusRunning {
		t.Fatalf("after the crash: status %s, want running", r.Status)
	}
}

// killPid sends SIGKILL to pid.
func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
