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
		a.On("GET /api/v1/games/"+gameID, 200, strings.Replace(gameJSON, `"currentTurn":0`, `"currentTurn":4`, 1))
		stdin = strings.NewReader(`{"orders":[{"type":"produce"}]}`)
		t.Cleanup(func() { stdin = os.Stdin })
		code, stdout, stderr := MustRun(t, a, "orders", "submit", gameID, "-", "-user", userID)
		MustCode(t, code, exitOK, stdout, stderr)
		body := MustJSON(t, a.Last(t).Body)
		if got := body["orders"].([]any); len(got) != 1 {
			t.Fatalf("orders: got %v", got)
		}
		// Without -turn, the open turn is read from the game first.
		if body["turn"] != float64(4) {
			t.Fatalf("turn: got %v, want the game's open turn 4", body["turn"])
		}
	})
	t.Run("ErrBadFile", func(t *testing.T) {
		stdin = strings.NewReader(`not json`)
		t.Cleanup(func() { stdin = os.Stdin })
		code, stdout, stderr := MustRun(t, nil, "orders", "submit", gameID, "-user", userID, "-turn", "0", "-")
		MustCode(t, code, exitError, stdout, stderr)
	})
	t.Run("ErrGamePaused", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST "+path, 409, `{"error":{"code":"game_paused","message":"the game is paused"}}`)
		stdin = strings.NewReader(`[]`)
		t.Cleanup(func() { stdin = os.Stdin })
		code, stdout, stderr := MustRun(t, a, "orders", "submit", gameID, "-user", userID, "-turn", "3", "-")
		MustCode(t, code, exitError, stdout, stderr)
		if got, want := stderr, "Error: game_paused: the game is paused\n"; got != want {
			t.Fatalf("stderr: got %q, want %q", got, want)
		}
	})
}
