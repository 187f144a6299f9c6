package main

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

func TestNodeList(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/nodes", 200, `{"nodes":[{"id":"n-1","name":"fake-1","status":"ready","eligible":false,"draining":true,"games":5},{"id":"n-2","name":"fake-2","status":"down","eligible":true,"draining":false,"games":0}]}`)
	code, stdout, stderr := MustRun(t, a, "node", "list")
	MustCode(t, code, exitOK, stdout, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "fake-1") || !strings.HasSuffix(lines[1], "5") ||
		!strings.Contains(lines[2], "down") {
		t.Fatalf("stdout: got %q", stdout)
	}
	t.Run("ErrLocalDriver", func(t *testing.T) {
		a.On("GET /api/v1/nodes", 503, `{"error":{"code":"unavailable","message":"this driver has no nodes (the local driver runs on one machine)"}}`)
		code, stdout, stderr := MustRun(t, a, "node", "list")
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.Contains(stderr, "no nodes") {
			t.Fatalf("stderr: got %q", stderr)
		}
	})
}

// node drain starts the drain and follows the node until it holds no game.
func TestNodeDrain(t *testing.T) {
	a := NewAPI(t)
	a.On("POST /api/v1/nodes/fake-1/drain", 202, `{"status":"draining"}`)
	var polls atomic.Int64
	a.mu.Lock()
	a.Handle["GET /api/v1/nodes"] = func(w http.ResponseWriter, r *http.Request) {
		left := max(0, 3-polls.Add(1)) // 2, 1, 0 games left
		Reply(w, 200, `{"nodes":[{"id":"n-1","name":"fake-1","status":"ready","eligible":false,"draining":true,"games":`+strconv.FormatInt(left, 10)+`}]}`)
	}
	a.mu.Unlock()
	code, stdout, stderr := MustRun(t, a, "node", "drain", "fake-1", "-deadline", "30m")
	MustCode(t, code, exitOK, stdout, stderr)
	if body := MustJSON(t, a.Reqs[0].Body); body["deadline"] != "30m0s" {
		t.Fatalf("drain body: %s", a.Reqs[0].Body)
	}
	for _, want := range []string{"2 games left", "1 game left", "0 games left", "Node fake-1 holds no game."} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	t.Run("Detach", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "node", "drain", "fake-1", "-detach")
		MustCode(t, code, exitOK, stdout, stderr)
		if !strings.Contains(stdout, "is draining") {
			t.Fatalf("stdout: %q", stdout)
		}
	})
	t.Run("ErrUnknownNode", func(t *testing.T) {
		a.On("POST /api/v1/nodes/nope/drain", 404, `{"error":{"code":"not_found","message":"node nope not found"}}`)
		code, stdout, stderr := MustRun(t, a, "node", "drain", "nope")
		MustCode(t, code, exitError, stdout, stderr)
	})
}
