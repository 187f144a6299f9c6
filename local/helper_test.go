package local

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// testToken is the admin token of every test engine; the tests look for it where it
// must not be (command line, logs).
const testToken = "tok-9f2c41d7e0b8a365"

// MustOpenDriver returns an open Driver running the fake engine with test-sized
// timings; cfg's non-zero fields win. Close runs at cleanup.
func MustOpenDriver(tb testing.TB, cfg Config) *Driver {
	tb.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = tb.TempDir()
	}
	if cfg.HealthTimeout == 0 {
		cfg.HealthTimeout = orchestrator.Duration(20 * time.Second) // generous: -race binaries on 2 cores start slowly
	}
	if cfg.StopGrace == 0 {
		cfg.StopGrace = orchestrator.Duration(5 * time.Second)
	}
	if cfg.RestartBackoffMin == 0 {
		cfg.RestartBackoffMin = orchestrator.Duration(10 * time.Millisecond)
	}
	if cfg.RestartBackoffMax == 0 {
		cfg.RestartBackoffMax = orchestrator.Duration(50 * time.Millisecond)
	}
	// atexit_sleep_ms: a -race binary otherwise sleeps a second before exiting.
	cfg.Env = append([]string{roleEnv + "=engine", "GORACE=atexit_sleep_ms=0"}, cfg.Env...)
	if cfg.Logger == nil {
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Output: testWriter{tb}, Level: hclog.Debug})
	}
	d := NewDriver(cfg)
	if err := d.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// testWriter sends log lines to the test log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// testCommand is the fake engine binary: this test binary.
func testCommand(tb testing.TB) string {
	tb.Helper()
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	return self
}

// newSpec returns a spec for a new game running the fake engine as version "1.0.0".
func newSpec(tb testing.TB) orchestrator.EngineSpec {
	tb.Helper()
	return orchestrator.EngineSpec{
		GameID:     uuid.New(),
		Version:    orchestrator.EngineVersion{Version: "1.0.0", Command: testCommand(tb)},
		AdminToken: testToken,
	}
}

// MustStart starts spec's engine and fails the test if it does not run.
func MustStart(tb testing.TB, d *Driver, spec orchestrator.EngineSpec) *orchestrator.Instance {
	tb.Helper()
	in, err := d.Start(context.Background(), spec)
	if err != nil {
		tb.Fatalf("start: %v", err)
	}
	if !in.Running || in.Endpoint == "" {
		tb.Fatalf("start returned %+v, want running with an endpoint", in)
	}
	return in
}

// MustGet returns the body of GET url, failing unless it answers 200.
func MustGet(tb testing.TB, url string) string {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		tb.Fatalf("GET %s: status %d, want %d", url, got, want)
	}
	return string(b)
}

// MustReadFile returns the contents of the file name in dir.
func MustReadFile(tb testing.TB, dir, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// starts counts the fake engine's starts recorded in dir.
func starts(tb testing.TB, dir string) int {
	tb.Helper()
	return len(strings.Fields(MustReadFile(tb, dir, "starts")))
}

// enginePID is the pid of the game's current process, 0 when none runs.
func enginePID(d *Driver, id uuid.UUID) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.engines[id]; e != nil && e.proc != nil {
		return e.proc.pid
	}
	return 0
}

// alive reports whether pid runs (zombies count as dead).
func alive(pid int) bool {
	_, ok := procStat(pid)
	return ok
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// errCode asserts err's orchestrator code.
func errCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := orchestrator.ErrorCode(err); got != want {
		tb.Fatalf("error %v: code %q, want %q", err, got, want)
	}
}
