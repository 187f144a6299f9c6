package store_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

func TestMain(m *testing.M) {
	store.RunVerifyChild() // Verify checks files in a child: this same test binary
	os.Exit(m.Run())
}

// mustFilledStore writes a store of a few hundred KB of games and closes it; it returns
// the file, the root page of the games bucket (a page every read of a game uses) and
// the bytes its pages use: bbolt grows a file ahead of its pages (doubling, up to
// AllocSize), so the end of the file may be space no page uses yet.
func mustFilledStore(tb testing.TB) ([]byte, int, int) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "galaxy.db")
	st, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := st.Update(context.Background(), func(tx orchestrator.Tx) error {
			for j := 0; j < 50; j++ {
				g := &orchestrator.Game{ID: uuid.New(), EngineVersion: "1.0.0", Settings: map[string]any{"pad": strings.Repeat("x", 300)}}
				if err := tx.PutGame(g); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	var root, used int
	_ = db.View(func(tx *bolt.Tx) error {
		root, used = int(tx.Bucket([]byte("games")).Root()), int(tx.Size())
		return nil
	})
	db.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b, root, used
}

// TestVerify damages copies of a real store every way the attack found (truncated to
// half, to 8 KiB, a garbled page, garbled meta pages) and more, and checks that each
// is reported as corrupt, naming the file — and that checking never takes this process
// down, whatever bbolt does with the file in the child.
func TestVerify(t *testing.T) {
	good, root, used := mustFilledStore(t)
	dir := t.TempDir()
	garble := func(b []byte, from, to int, seed uint64) []byte {
		r := rand.New(rand.NewPCG(seed, 1))
		for i := from; i < to && i < len(b); i++ {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	cases := map[string][]byte{
		// Half of the pages, not of the file: the file's second half may hold no page.
		"truncated to half":  append([]byte(nil), good[:used/2]...),
		"truncated to 8 KiB": append([]byte(nil), good[:8<<10]...),
		"truncated to 100 B": append([]byte(nil), good[:100]...),
		"garbled page":       garble(append([]byte(nil), good...), root*4096, root*4096+4096, 1),
		"garbled half":       garble(append([]byte(nil), good...), used/4, 3*used/4, 2),
		"garbled meta pages": garble(append([]byte(nil), good...), 0, 8192, 3),
		"not a bbolt file":   []byte(strings.Repeat("galaxy\n", 10000)),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".db")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := store.Verify(context.Background(), path); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Verify: %v, want ErrCorrupt naming %s", err, path)
			}
		})
	}
	t.Run("sound", func(t *testing.T) {
		path := filepath.Join(dir, "good.db")
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := store.Verify(context.Background(), path); err != nil {
			t.Fatalf("Verify of a sound store: %v", err)
		}
	})
	t.Run("sound without its unused tail", func(t *testing.T) {
		path := filepath.Join(dir, "good-cut.db")
		if err := os.WriteFile(path, good[:used], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := store.Verify(context.Background(), path); err != nil {
			t.Fatalf("Verify of a sound store cut after its last page (%d of %d bytes): %v", used, len(good), err)
		}
	})
	t.Run("new", func(t *testing.T) {
		empty := filepath.Join(dir, "empty.db")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{empty, filepath.Join(dir, "missing.db")} {
			if err := store.Verify(context.Background(), path); err != nil {
				t.Fatalf("Verify of a new store %s: %v", path, err)
			}
		}
	})
}
