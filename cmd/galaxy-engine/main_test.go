package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// binary is the galaxy-engine built once by TestMain; every contract test runs it as a
// real process over real HTTP.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "galaxy-engine-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "galaxy-engine")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer collects a process's stderr while tests read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is one running engine.
type proc struct {
	cmd    *exec.Cmd
	base   string
	token  string
	stderr *lockedBuffer
	done   chan struct{}
	err    error // the exit status, once done is closed
}

var listenRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startProc starts the engine with env (GAME_STATE_PATH etc.) on a free port and
// returns it before it is known to be listening.
func startProc(tb testing.TB, env ...string) *proc {
	tb.Helper()
	p := &proc{stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GALAXY_ENGINE_ADDR=127.0.0.1:0"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start engine: %v", err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// MustStart starts the engine over dir (with token, if any) and waits, up to a
// deadline, for its "listening" log line.
func MustStart(tb testing.TB, dir, token string) *proc {
	tb.Helper()
	env := []string{"GAME_STATE_PATH=" + dir}
	if token != "" {
		env = append(env, "GALAXY_ENGINE_ADMIN_TOKEN="+token)
	}
	p := startProc(tb, env...)
	p.token = token
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := listenRE.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = "http://" + m[1]
			return p
		}
		select {
		case <-p.done:
			tb.Fatalf("engine exited before listening: %v\n%s", p.err, p.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("engine not listening after 10s:\n%s", p.stderr.String())
		}
	}
}

// MustExit waits (with a deadline) for the process to exit and returns its code.
func MustExit(tb testing.TB, p *proc) int {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		tb.Fatalf("engine still running after 10s:\n%s", p.stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		tb.Fatalf("wait: %v", p.err)
	}
	return 0
}

// spec is engine/openapi.yaml, loaded once.
var spec struct {
	once   sync.Once
	router routers.Router
	err    error
}

// MustRouter loads and validates engine/openapi.yaml and returns a router over it.
func MustRouter(tb testing.TB) routers.Router {
	tb.Helper()
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile("../../engine/openapi.yaml")
		if err != nil {
			spec.err = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			spec.err = fmt.Errorf("invalid spec: %w", err)
			return
		}
		spec.router, spec.err = gorillamux.NewRouter(doc)
	})
	if spec.err != nil {
		tb.Fatalf("openapi.yaml: %v", spec.err)
	}
	return spec.router
}

// answer is one HTTP answer.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// errorBody decodes the answer as an ErrorBody.
func (a answer) errorBody(tb testing.TB) (code, msg string, details []map[string]any) {
	tb.Helper()
	var eb struct {
		Error struct {
			Code    string           `json:"code"`
			Message string           `json:"message"`
			Details []map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(a.Body, &eb); err != nil || eb.Error.Code == "" {
		tb.Fatalf("not an ErrorBody: %s", a.Body)
	}
	return eb.Error.Code, eb.Error.Message, eb.Error.Details
}

// call sends a request with the proc's token and checks the answer against the spec.
// body is sent as is when it is a string, as JSON otherwise (nil: no body).
func (p *proc) call(tb testing.TB, method, path string, body any) answer {
	tb.Helper()
	return p.callAs(tb, p.token, method, path, body)
}

// callAs is call with an explicit token ("" sends no Authorization header).
func (p *proc) callAs(tb testing.TB, token, method, path string, body any) answer {
	tb.Helper()
	var data []byte
	switch b := body.(type) {
	case nil:
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			tb.Fatal(err)
		}
	}
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if data != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	MustMatchSpec(tb, method, path, data, resp, out)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// MustMatchSpec validates an actual answer against openapi.yaml: its status must be
// declared for the route and its body must match the declared schema.
func MustMatchSpec(tb testing.TB, method, path string, reqBody []byte, resp *http.Response, body []byte) {
	tb.Helper()
	// The router matches the spec's server URL; the engine listens elsewhere.
	u, _ := url.Parse("http://127.0.0.1:8080" + path)
	req, _ := http.NewRequest(method, u.String(), bytes.NewReader(reqBody))
	route, params, err := MustRouter(tb).FindRoute(req)
	if err != nil {
		tb.Fatalf("%s %s: no route in openapi.yaml: %v", method, path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Fatalf("%s %s answered %d %s, which openapi.yaml does not allow: %v", method, path, resp.StatusCode, body, err)
	}
}

// MustStatus fails unless a has the wanted status.
func MustStatus(tb testing.TB, a answer, want int) {
	tb.Helper()
	if a.Status != want {
		tb.Fatalf("status = %d, want %d; body %s", a.Status, want, a.Body)
	}
}

// state is the part of State the tests read.
type state struct {
	GameID   string   `json:"gameId"`
	Turn     int      `json:"turn"`
	Finished bool     `json:"finished"`
	Winners  []string `json:"winners"`
	Players  []struct {
		ID       string `json:"id"`
		RaceName string `json:"raceName"`
		Planets  int    `json:"planets"`
		Tech     struct {
			Drive, Weapons, Shields, Cargo float64
		} `json:"tech"`
	} `json:"players"`
}

func decode[T any](tb testing.TB, a answer) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(a.Body, &v); err != nil {
		tb.Fatalf("decode %s: %v", a.Body, err)
	}
	return v
}

const (
	testGameID = "6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10"
	actorA     = "11111111-1111-1111-1111-111111111111"
	actorB     = "22222222-2222-2222-2222-222222222222"
)

// initBody is a valid init request; settings may be nil.
func initBody(settings map[string]any) map[string]any {
	return map[string]any{
		"gameId": testGameID,
		"races": []map[string]any{
			{"raceName": "Zorg", "playerId": actorA},
			{"raceName": "Blip", "playerId": actorB},
		},
		"settings": settings,
	}
}

// MustInit starts an engine in a fresh directory and creates the test game.
func MustInit(tb testing.TB, token string, settings map[string]any) (*proc, string) {
	tb.Helper()
	dir := tb.TempDir()
	p := MustStart(tb, dir, token)
	MustStatus(tb, p.call(tb, "POST", "/api/v1/admin/init", initBody(settings)), http.StatusCreated)
	return p, dir
}

// homeOf returns the home planet number of actor, from its report.
func homeOf(tb testing.TB, p *proc, actor string) int {
	tb.Helper()
	a := p.call(tb, "GET", "/api/v1/report?actor="+actor, nil)
	MustStatus(tb, a, 200)
	return decode[struct {
		Race struct{ Home int } `json:"race"`
	}](tb, a).Race.Home
}
