package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOrdersSubmit(t *testing.T) {
	path := "/api/v1/games/" + gameID + "/orders"
	t.Run("File", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST "+path, 200, `{"turn":4,"accepted":2,"final":true,"allFinal":false}`)
		f := filepath.Join(t.TempDir(), "orders.json")
		if err := os.WriteFile(f, []byte(`[{"type":"produce","planet":"P1"},{"type":"rename_planet"}]`), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := MustRun(t, a, "orders", "submit", gameID, "-user", userID, "-turn", "4", "-final", f)
		MustCode(t, code, exitOK, stdout, stderr)
		req := a.Last(t)
		if got := req.Header.Get("X-Galaxy-User"); got != userID {
			t.Fatalf("X-Galaxy-User: got %q", got)
		}
		body := MustJSON(t, req.Body)
		if body["turn"] != float64(4) || body["final"] != true || len(body["orders"].([]any)) != 2 {
			t.Fatalf("body: got %s", req.Body)
		}
		if got, want := stdout, "Turn 4: 2 order(s) accepted, final true, all players final false\n"; got != want {
			t.Fatalf("stdout: got %q, want %q", got, want)
		}
	})
	t.Run("Stdin", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST "+path, 200, `{"turn":4,"accepted":1}`)
		stdin = strings.NewReader(`{"orders":[{"type":"produce"}]}`)
		t.Cleanup(func() { stdin = os.Stdin })
		code, stdout, stderr := MustRun(t, a, "orders", "submit", gameID, "-", "-user", userID)
		MustCode(t, code, exitOK, stdout, stderr)
		if got := MustJSON(t, a.Last(t).Body)["orders"].([]any); len(got) != 1 {
			t.Fatalf("orders: got %v", got)
		}
	})
	t.Run("ErrBadFile", func(t *testing.T) {
		stdin = strings.NewReader(`not json`)
		t.Cleanup(func() { stdin = os.Stdin })
		code, stdout, stderr := MustRun(t, nil, "orders", "submit", gameID, "-user", userID, "-")
		MustCode(t, code, exitUsage, stdout, stderr)
	})
	t.Run("ErrGamePaused", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST "+path, 409, `{"error":{"code":"game_paused","message":"the game is paused"}}`)
		stdin = strings.NewReader(`[]`)
		t.Cleanup(func() { stdin = os.Stdin })
		code, stdout, stderr := MustRun(t, a, "orders", "submit", gameID, "-user", userID, "-")
		MustCode(t, code, exitError, stdout, stderr)
		if got, want := stderr, "Error: game_paused: the game is paused\n"; got != want {
			t.Fatalf("stderr: got %q, want %q", got, want)
		}
	})
}

func TestReport(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/games/"+gameID+"/report", 200, `{"turn":3,"planets":[{"name":"P1"}]}`)
	code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID, "-turn", "3")
	MustCode(t, code, exitOK, stdout, stderr)
	req := a.Last(t)
	if req.Query != "turn=3" || req.Header.Get("X-Galaxy-User") != userID || req.Method != "GET" {
		t.Fatalf("request: got %+v", req)
	}
	if !strings.Contains(stdout, "\n  \"turn\": 3,") {
		t.Fatalf("stdout: got %q, want indented JSON", stdout)
	}
	t.Run("JSON", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID, "-json")
		MustCode(t, code, exitOK, stdout, stderr)
		if got, want := stdout, `{"turn":3,"planets":[{"name":"P1"}]}`+"\n"; got != want {
			t.Fatalf("stdout: got %q, want %q", got, want)
		}
	})
	t.Run("ErrNoUser", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "report", gameID)
		MustCode(t, code, exitUsage, stdout, stderr)
	})
}
