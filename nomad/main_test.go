package nomad_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad"
	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// engineBinary is cmd/galaxy-engine built once for the whole package; "" when it
// does not build (tests that need it skip, saying why).
var engineBinary, engineBuildErr = "", error(nil)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nomad-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	engineBinary = filepath.Join(dir, "galaxy-engine")
	out, err := exec.Command("go", "build", "-o", engineBinary, "github.com/galaxy-orchestrator/galaxy/cmd/galaxy-engine").CombinedOutput()
	if err != nil {
		engineBinary, engineBuildErr = "", fmt.Errorf("%v: %s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// MustEngine returns the engine binary or skips the test.
func MustEngine(tb testing.TB) string {
	tb.Helper()
	if engineBinary == "" {
		tb.Skipf("cmd/galaxy-engine does not build: %v", engineBuildErr)
	}
	return engineBinary
}

// MustServer starts a fake Nomad + Consul running the engine.
func MustServer(tb testing.TB, opts nomadtest.Options) *nomadtest.Server {
	tb.Helper()
	opts.EngineBinary = MustEngine(tb)
	return nomadtest.NewServer(tb, opts)
}

// testConfig points a driver at the fake with short intervals.
func testConfig(srv *nomadtest.Server) nomad.Config {
	return nomad.Config{
		Address:           srv.NomadAddr(),
		ConsulAddress:     srv.ConsulAddr(),
		Token:             "nomad-secret-token",
		ConsulToken:       "consul-secret-token",
		RetryBaseDelay:    orchestrator.Duration(5 * time.Millisecond),
		RetryMaxDelay:     orchestrator.Duration(50 * time.Millisecond),
		WatchInterval:     orchestrator.Duration(time.Millisecond),
		CheckPollInterval: orchestrator.Duration(10 * time.Millisecond),
		WaitTime:          orchestrator.Duration(5 * time.Second),
		StartTimeout:      orchestrator.Duration(30 * time.Second),
		StopTimeout:       orchestrator.Duration(30 * time.Second),
	}
}

// MustOpen opens a driver on cfg and closes it at the end of the test.
func MustOpen(tb testing.TB, cfg nomad.Config) *nomad.Driver {
	tb.Helper()
	d, err := nomad.NewDriver(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{tb}}))
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

const adminToken = "engine-admin-token-for-tests"

func newSpec(version string) orchestrator.EngineSpec {
	return orchestrator.EngineSpec{
		GameID:     uuid.New(),
		Version:    orchestrator.EngineVersion{Version: version, ImageRef: "galaxy-engine:" + version, Command: "/usr/local/bin/galaxy-engine", Enabled: true},
		AdminToken: adminToken,
	}
}

// MustStart starts spec's engine and fails the test otherwise.
func MustStart(tb testing.TB, d *nomad.Driver, spec orchestrator.EngineSpec) *orchestrator.Instance {
	tb.Helper()
	inst, err := d.Start(ctx(tb), spec)
	if err != nil {
		tb.Fatalf("start: %v", err)
	}
	return inst
}

func ctx(tb testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return c
}

// call does one engine request and returns status and body.
func call(tb testing.TB, method, url string, body any) (int, []byte) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// MustInit inits the game on the engine (201).
func MustInit(tb testing.TB, endpoint string, gameID uuid.UUID) {
	tb.Helper()
	st, b := call(tb, "POST", endpoint+"/api/v1/admin/init", initBody(gameID))
	if got, want := st, http.StatusCreated; got != want {
		tb.Fatalf("init: got %d, want %d: %s", got, want, b)
	}
}

func initBody(gameID uuid.UUID) map[string]any {
	return map[string]any{"gameId": gameID, "races": []map[string]any{
		{"raceName": "Alpha", "playerId": uuid.New()}, {"raceName": "Beta", "playerId": uuid.New()},
	}}
}

// engineState reads admin/state: the game id and turn the engine holds.
func engineState(tb testing.TB, endpoint string) (uuid.UUID, int) {
	tb.Helper()
	st, b := call(tb, "GET", endpoint+"/api/v1/admin/state", nil)
	if st != http.StatusOK {
		tb.Fatalf("state: got %d: %s", st, b)
	}
	var s struct {
		GameID uuid.UUID `json:"gameId"`
		Turn   int       `json:"turn"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		tb.Fatal(err)
	}
	return s.GameID, s.Turn
}

// eventually polls f until it returns nil or the deadline passes.
func eventually(tb testing.TB, within time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("still failing after %s: %v", within, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var _ = jobspec.DriverRawExec
