package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// MustServer returns a Server over a fresh directory.
func MustServer(tb testing.TB) (*Server, string) {
	tb.Helper()
	dir := tb.TempDir()
	st, err := NewStore(dir)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(st, "", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return s, dir
}

// do sends one request straight to the handler.
func do(tb testing.TB, h http.Handler, method, path string, body any) *httptest.ResponseRecorder {
	tb.Helper()
	b, _ := json.Marshal(body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, bytes.NewReader(b)))
	return w
}

// MustInitRaces creates a game of n races on s.
func MustInitRaces(tb testing.TB, s *Server, n int) {
	tb.Helper()
	req := engine.InitRequest{GameID: uuid.New(), Settings: map[string]any{"seed": 42}}
	for i := 0; i < n; i++ {
		req.Races = append(req.Races, engine.Race{RaceName: fmt.Sprintf("Race%d", i), PlayerID: uuid.New()})
	}
	if w := do(tb, s, "POST", "/api/v1/admin/init", req); w.Code != http.StatusCreated {
		tb.Fatalf("init: status = %d, want 201: %s", w.Code, w.Body)
	}
}

func TestStore(t *testing.T) {
	t.Run("OK/RemovesLeftoverTemp", func(t *testing.T) {
		dir := t.TempDir()
		tmp := filepath.Join(dir, ".state-123.tmp")
		os.WriteFile(tmp, []byte("half"), 0o600)
		if _, err := NewStore(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(tmp); !os.IsNotExist(err) {
			t.Fatalf("leftover temp file still there: %v", err)
		}
	})
	t.Run("ErrMissingParent", func(t *testing.T) {
		if _, err := NewStore(filepath.Join(t.TempDir(), "no-mount", "game")); err == nil {
			t.Fatal("err = nil, want an error")
		}
	})
	t.Run("OK/CreatesMissingDir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "game")
		if _, err := NewStore(dir); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Fatalf("state dir not created: %v", err)
		}
	})
}

// TestWriteFailure makes state.json unwritable (a directory in the temp file's way is
// not portable, so the store's directory is removed) and checks that the turn is not
// generated in memory either.
func TestWriteFailure(t *testing.T) {
	s, dir := MustServer(t)
	MustInitRaces(t, s, 2)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if w := do(t, s, "POST", "/api/v1/admin/turn", map[string]int{"turn": 1}); w.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", w.Code)
	}
	var st engine.State
	json.Unmarshal(do(t, s, "GET", "/api/v1/admin/state", nil).Body.Bytes(), &st)
	if got, want := st.Turn, 0; got != want {
		t.Fatalf("turn in memory = %d, want %d (the failed write rolled back)", got, want)
	}
}
