package main

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
	bolt "go.etcd.io/bbolt"
)

// TestStoreLost: with games' state in the data directory, a galaxy.db that is emptied
// or deleted makes galaxyd refuse to start — it would otherwise serve no games and see
// theirs as orphans — and it writes nothing.
func TestStoreLost(t *testing.T) {
	dir := t.TempDir()
	m := MustRunMain(t, dir)
	a := api{tb: t, base: m.HTTP.URL()}
	MustStartGame(t, a, yearly, "Lost")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "galaxy.db")
	for _, damage := range []string{"emptied", "deleted"} {
		t.Run(damage, func(t *testing.T) {
			if damage == "emptied" {
				if err := os.Truncate(db, 0); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Remove(db); err != nil {
				t.Fatal(err)
			}
			err := runMain(t, dir)
			if err == nil || !strings.Contains(err.Error(), "holds 1 games") || !strings.Contains(err.Error(), "Restore") {
				t.Fatalf("start over a lost store: %v, want a refusal saying what to do", err)
			}
			fi, serr := os.Stat(db)
			if damage == "emptied" && (serr != nil || fi.Size() != 0) || damage == "deleted" && !os.IsNotExist(serr) {
				t.Fatalf("the refused start wrote the store: %v %v", fi, serr)
			}
		})
	}
}

// TestStoreCorrupt: a store file damaged the ways seen in the field is refused with a
// message that names it and the next step — never a panic or a fault.
func TestStoreCorrupt(t *testing.T) {
	dir := t.TempDir()
	m := MustRunMain(t, dir)
	a := api{tb: t, base: m.HTTP.URL()}
	MustStartGame(t, a, yearly, "Broken")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "galaxy.db")
	good, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	// Half of the pages, not of the file: bbolt grows the file ahead of its pages, so
	// half the file may still hold every page (a sound store).
	used := usedBytes(t, db)
	for name, b := range map[string][]byte{
		"half":    good[:used/2],
		"8KiB":    good[:8<<10],
		"garbled": append(append(append([]byte(nil), good[:8192]...), []byte(strings.Repeat("\xde\xad\xbe\xef", (len(good)-8192)/4))...), good[len(good)/4*4:]...),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(db, b, 0o600); err != nil {
				t.Fatal(err)
			}
			err := runMain(t, dir)
			if err == nil || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "restore a backup") {
				t.Fatalf("start on a damaged store: %v, want a refusal naming %s and the next step", err, db)
			}
		})
	}
}

// usedBytes is how much of the bbolt file at path its pages use.
func usedBytes(tb testing.TB, path string) int64 {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var used int64
	_ = db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	return used
}

// runMain runs a -dev galaxyd on dir and returns Run's error (closing it if it ran).
func runMain(tb testing.TB, dir string) error {
	tb.Helper()
	m := NewMain()
	if err := m.ParseFlags(context.Background(), []string{"-dev", "-listen", "127.0.0.1:0", "-data-dir", dir, "-engine-command", engineBin, "-log-level", "error"}); err != nil {
		tb.Fatal(err)
	}
	err := m.Run(context.Background())
	m.Close()
	return err
}

// TestBackup takes an online backup while a game runs, loses the store, puts the backup
// in its place and starts again: the game is there, at its turn.
func TestBackup(t *testing.T) {
	dir := t.TempDir()
	m := MustRunMain(t, dir)
	a := api{tb: t, base: m.HTTP.URL()}
	id := MustStartGame(t, a, yearly, "Saved")
	a.action(id, "force-next-turn", nil)
	resp, err := http.Get(a.base + "/api/v1/admin/backup")
	if err != nil {
		t.Fatal(err)
	}
	backup, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || len(backup) == 0 {
		t.Fatalf("backup: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Disposition"), len(backup))
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "galaxy.db")
	if err := os.WriteFile(db, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	m = MustRunMain(t, dir)
	a = api{tb: t, base: m.HTTP.URL()}
	waitFor(t, 30*time.Second, "the game running again", func() bool {
		v := a.game(id)
		return v.Runtime.Status == orchestrator.StatusRunning && v.Runtime.CurrentTurn == 1
	})
}

// TestRecoverFromState: the store is lost while games run; galaxyd refuses to start,
// and with -recover-from-state it rebuilds the games from the archive's records —
// players, schedule, version — and their engines come back at their turn, orders
// still accepted from the same users.
func TestRecoverFromState(t *testing.T) {
	dir := t.TempDir()
	m := MustRunMain(t, dir)
	a := api{tb: t, base: m.HTTP.URL()}
	id := MustStartGame(t, a, yearly, "Survivor")
	a.action(id, "force-next-turn", nil)
	user := a.game(id).Players[0].UserID
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "galaxy.db")); err != nil {
		t.Fatal(err)
	}
	if err := runMain(t, dir); err == nil || !strings.Contains(err.Error(), "-recover-from-state") {
		t.Fatalf("start over the lost store: %v, want a refusal naming -recover-from-state", err)
	}
	m = MustRunMain(t, dir, "-recover-from-state")
	a = api{tb: t, base: m.HTTP.URL()}
	waitFor(t, 30*time.Second, "the recovered game running", func() bool {
		r := a.game(id).Runtime
		return r.Status == orchestrator.StatusRunning && r.CurrentTurn == 1
	})
	if g := a.game(id); len(g.Players) != 1 || g.Players[0].UserID != user || g.Schedule.Cron != yearly {
		t.Fatalf("recovered game %+v, want its player and schedule", g.Game)
	}
	a.must(200, "POST", "/api/v1/games/"+id.String()+"/orders", user, map[string]any{"turn": 1, "orders": []any{}}, nil)
}
