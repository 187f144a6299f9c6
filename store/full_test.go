package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

// TestStore_DiskFull fills a small tmpfs under a real store: the write that does not
// fit is ESTORAGE naming the cause, Healthy says so (what /readyz shows), nothing
// acknowledged is lost, and once there is room again writes go through.
func TestStore_DiskFull(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v): the full-disk path is covered with an injected error in orchestrator", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	var errs int
	st, err := store.Open(filepath.Join(dir, "galaxy.db"), store.WithOnError(func(error) { errs++ }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Most of the room goes to a file we can delete later.
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 700<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var acked []uuid.UUID
	var full error
	for i := 0; i < 10000 && full == nil; i++ {
		g := &orchestrator.Game{ID: uuid.New(), EngineVersion: "1.0.0", Settings: map[string]any{"pad": strings.Repeat("x", 4000)}}
		full = st.Update(ctx, func(tx orchestrator.Tx) error { return tx.PutGame(g) })
		if full == nil {
			acked = append(acked, g.ID)
		}
	}
	if orchestrator.ErrorCode(full) != orchestrator.ESTORAGE || !strings.Contains(full.Error(), "no space left on device") {
		t.Fatalf("a write to a full disk: %v, want storage_unavailable naming the cause", full)
	}
	if err := st.Healthy(); orchestrator.ErrorCode(err) != orchestrator.ESTORAGE || !strings.Contains(orchestrator.ErrorMessage(err), "no space left on device") || strings.Contains(orchestrator.ErrorMessage(err), dir) {
		t.Fatalf("Healthy on a full disk: %v, want storage_unavailable with the cause and without the path", err)
	}
	if errs == 0 {
		t.Fatal("the failed write was not reported to WithOnError")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	g := &orchestrator.Game{ID: uuid.New(), EngineVersion: "1.0.0"}
	if err := st.Update(ctx, func(tx orchestrator.Tx) error { return tx.PutGame(g) }); err != nil {
		t.Fatalf("a write once there is room again: %v", err)
	}
	if err := st.Healthy(); err != nil {
		t.Fatalf("Healthy after a good write: %v", err)
	}
	if err := st.View(ctx, func(tx orchestrator.Tx) error {
		for _, id := range acked {
			if _, err := tx.Game(id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("an acknowledged write is gone after the disk filled: %v", err)
	}
}
