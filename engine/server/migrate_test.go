package server

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/engine/game"
)

// copyDir copies testdata dir src (files and one level of subdirectories) to dst.
func copyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestLoadVersion1 starts over the state directory of a running game of the engine
// before ships (schema 1: written by it at turn 1, with orders pending for turn 1 and a
// message): the game loads, its pending orders apply at the next turn, its past reports
// still work, and the state is written back as the current schema.
func TestLoadVersion1(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "testdata/v1", dir)
	st, err := NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, "", nil)
	if err != nil {
		t.Fatalf("a version 1 state.json does not load: %v", err)
	}
	actor := "11111111-1111-1111-1111-111111111111"
	if w := do(t, s, "GET", "/api/v1/report?turn=0&actor="+actor, nil); w.Code != http.StatusOK {
		t.Fatalf("report of turn 0 from a version 1 history: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, "POST", "/api/v1/admin/turn", map[string]int{"turn": 2}); w.Code != http.StatusOK {
		t.Fatalf("turn 2: %d %s", w.Code, w.Body)
	}
	var rep game.Report
	json.Unmarshal(do(t, s, "GET", "/api/v1/report?actor="+actor, nil).Body.Bytes(), &rep)
	if len(rep.Planets) != 1 || rep.Planets[0].Name != "Zorgon" || rep.Planets[0].Producing != game.CAP {
		t.Fatalf("planets %+v, want the home renamed Zorgon and producing CAP (version 1 orders)", rep.Planets)
	}
	data, _ := os.ReadFile(filepath.Join(dir, StateFile))
	if !strings.HasPrefix(string(data), `{"version":2,`) {
		t.Fatalf("state.json starts %.40s, want version 2", data)
	}
	var other engine.State
	json.Unmarshal(do(t, s, "GET", "/api/v1/admin/state", nil).Body.Bytes(), &other)
	if other.Turn != 2 || len(other.Players) != 2 {
		t.Fatalf("state %+v", other)
	}
}

func TestLoadNewerVersion(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "testdata/v1", dir)
	data, _ := os.ReadFile(filepath.Join(dir, StateFile))
	os.WriteFile(filepath.Join(dir, StateFile), []byte(strings.Replace(string(data), `"version":1`, `"version":99`, 1)), 0o600)
	st, _ := NewStore(dir)
	if _, err := New(st, "", nil); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("err = %v, want a refusal naming version 99", err)
	}
}
