package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testToken = "s3cret-admin-token"
	gameID    = "0190f5d2-7a3b-7c4d-8e9f-a0b1c2d3e4f5"
	opID      = "0190f5d2-8000-7000-8000-000000000001"
	userID    = "11111111-1111-4111-8111-111111111111"
)

func init() {
	pollInterval, maxPollInterval = time.Millisecond, 5*time.Millisecond
	watchPollInterval = 5 * time.Millisecond
	time.Local = time.UTC // times print in the local zone
}

// Req is a request the fake API received.
type Req struct {
	Method, Path, Query, Auth string
	Header                    http.Header
	Body                      string
}

// API is a fake galaxyd: Handle answers by "METHOD /path"; every request is recorded.
type API struct {
	*httptest.Server
	mu     sync.Mutex
	Reqs   []Req
	Handle map[string]func(w http.ResponseWriter, r *http.Request)
}

func NewAPI(t *testing.T) *API {
	t.Helper()
	a := &API{Handle: map[string]func(http.ResponseWriter, *http.Request){}}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.Reqs = append(a.Reqs, Req{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), Header: r.Header.Clone(), Body: string(b)})
		h := a.Handle[r.Method+" "+r.URL.Path]
		a.mu.Unlock()
		if h == nil {
			Reply(w, 404, `{"error":{"code":"not_found","message":"no route"}}`)
			return
		}
		h(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

// On registers a canned answer.
func (a *API) On(route string, status int, body string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Handle[route] = func(w http.ResponseWriter, _ *http.Request) { Reply(w, status, body) }
}

// Last returns the last request.
func (a *API) Last(t *testing.T) Req {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.Reqs) == 0 {
		t.Fatal("no request received")
	}
	return a.Reqs[len(a.Reqs)-1]
}

func Reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// MustRun runs the CLI against a with GALAXY_TOKEN set.
func MustRun(t *testing.T, a *API, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env := map[string]string{"GALAXY_TOKEN": testToken}
	if a != nil {
		env["GALAXY_ADDR"] = a.URL
	}
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	if strings.Contains(out.String()+errOut.String(), testToken) {
		t.Fatalf("token printed:\n%s\n%s", out.String(), errOut.String())
	}
	return code, out.String(), errOut.String()
}

// SyncBuffer is a bytes.Buffer that a running command writes while the test reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Running is a command that runs until it is interrupted (watch, -wait).
type Running struct {
	Stdout, Stderr *SyncBuffer
	cancel         context.CancelFunc
	code           chan int
}

// Start runs the CLI against the API at addr in the background.
func Start(t *testing.T, addr string, args ...string) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{Stdout: &SyncBuffer{}, Stderr: &SyncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	env := map[string]string{"GALAXY_TOKEN": testToken, "GALAXY_ADDR": addr}
	go func() { r.code <- run(ctx, args, r.Stdout, r.Stderr, func(k string) string { return env[k] }) }()
	t.Cleanup(func() { r.Stop(t) })
	return r
}

// WaitFor polls stdout until it holds every one of want, failing after a deadline.
func (r *Running) WaitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := r.Stdout.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case code := <-r.code:
			r.code <- code
			t.Fatalf("exited %d before printing %q\nstdout:\n%s\nstderr:\n%s", code, missing, out, r.Stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("stdout lacks %q after 10s:\n%s\nstderr:\n%s", missing, out, r.Stderr.String())
		}
	}
}

// Stop interrupts the command (Ctrl-C) and returns its exit code.
func (r *Running) Stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.code:
		r.code <- code
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not end 10s after it was interrupted")
		return -1
	}
}

// Wait waits for the command to end by itself and returns its exit code.
func (r *Running) Wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.code:
		r.code <- code
		return code
	case <-time.After(10 * time.Second):
		t.Fatalf("the command did not end within 10s\nstdout:\n%s", r.Stdout.String())
		return -1
	}
}

func MustCode(t *testing.T, got, want int, stdout, stderr string) {
	t.Helper()
	if got != want {
		t.Fatalf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", got, want, stdout, stderr)
	}
}

// MustJSON decodes a request body.
func MustJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

const gameJSON = `{"id":"` + gameID + `","engineVersion":"1.2.3","schedule":{"cron":"* * * * *","timezone":"UTC"},` +
	`"players":[{"userId":"` + userID + `","raceName":"Zorg","enginePlayerId":"33333333-3333-4333-8333-333333333333"}],` +
	`"createdAt":"2026-03-01T12:00:00Z","runtime":{"gameId":"` + gameID + `","status":"created","paused":false,"currentTurn":0,"initialized":false,"updatedAt":"2026-03-01T12:00:00Z"}}`

func opJSON(status, errCode string) string {
	return `{"id":"` + opID + `","gameId":"` + gameID + `","op":"start","source":"admin","status":"` + status +
		`","errorCode":"` + errCode + `","details":{},"createdAt":"2026-03-01T12:00:00Z"}`
}

func TestAddrAndToken(t *testing.T) {
	t.Run("Env", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games", 200, `{"games":[]}`)
		code, stdout, stderr := MustRun(t, a, "game", "list")
		MustCode(t, code, exitOK, stdout, stderr)
		if got, want := a.Last(t).Auth, "Bearer "+testToken; got != want {
			t.Fatalf("Authorization: got %q, want %q", got, want)
		}
	})
	t.Run("FlagsOverride", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games", 200, `{"games":[]}`)
		var out, errOut bytes.Buffer
		env := map[string]string{"GALAXY_ADDR": "http://127.0.0.1:1", "GALAXY_TOKEN": "env-token"}
		code := run(context.Background(), []string{"game", "list", "-addr", a.URL + "/", "-token", "flag-token"}, &out, &errOut, func(k string) string { return env[k] })
		MustCode(t, code, exitOK, out.String(), errOut.String())
		if got, want := a.Last(t).Auth, "Bearer flag-token"; got != want {
			t.Fatalf("Authorization: got %q, want %q", got, want)
		}
	})
	t.Run("NoToken", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games", 200, `{"games":[]}`)
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"game", "list", "-addr", strings.TrimPrefix(a.URL, "http://")}, &out, &errOut, func(string) string { return "" })
		MustCode(t, code, exitOK, out.String(), errOut.String())
		if got := a.Last(t).Auth; got != "" {
			t.Fatalf("Authorization: got %q, want none", got)
		}
	})
	t.Run("ErrUnreachable", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"game", "list", "-addr", "http://127.0.0.1:1", "-token", testToken}, &out, &errOut, func(string) string { return "" })
		MustCode(t, code, exitError, out.String(), errOut.String())
		if strings.Contains(errOut.String(), testToken) || !strings.HasPrefix(errOut.String(), "Error: ") {
			t.Fatalf("stderr: got %q", errOut.String())
		}
	})
}

func TestAPIError(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/games/"+gameID, 404, `{"error":{"code":"not_found","message":"no game `+gameID+`","field":"id"}}`)
	code, stdout, stderr := MustRun(t, a, "game", "status", gameID)
	MustCode(t, code, exitError, stdout, stderr)
	if got, want := stderr, "Error: not_found: no game "+gameID+" (field id)\n"; got != want {
		t.Fatalf("stderr: got %q, want %q", got, want)
	}
	t.Run("Details", func(t *testing.T) {
		a.On("POST /api/v1/games/"+gameID+"/orders", 400,
			`{"error":{"code":"invalid","message":"orders rejected","details":[{"index":1,"field":"type","message":"unknown order"}]}}`)
		dir := t.TempDir()
		f := filepath.Join(dir, "o.json")
		if err := os.WriteFile(f, []byte(`[{"type":"produce"},{"type":"x"}]`), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := MustRun(t, a, "orders", "submit", gameID, "-user", userID, "-turn", "1", f)
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.Contains(stderr, "Error: invalid: orders rejected") || !strings.Contains(stderr, "[1] type: unknown order") {
			t.Fatalf("stderr: got %q", stderr)
		}
	})
	t.Run("NotJSON", func(t *testing.T) {
		a.On("GET /api/v1/games", 502, `<html>bad gateway</html>`)
		code, stdout, stderr := MustRun(t, a, "game", "list")
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.Contains(stderr, "502") {
			t.Fatalf("stderr: got %q", stderr)
		}
	})
}
