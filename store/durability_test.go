package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// crashChildEnv names the store file the re-executed test binary writes to.
const crashChildEnv = "GALAXY_STORE_CRASH_CHILD"

// TestDurability re-runs this test binary as a child that writes operations from
// several goroutines and prints "ack <id>" after each Update returns. The parent
// SIGKILLs it mid-stream, then reopens the file: every acknowledged write must be
// there, and the file must pass bbolt's consistency check.
func TestDurability(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}

	path := filepath.Join(t.TempDir(), "galaxy.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurability$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	const killAfter = 200
	var acked []uuid.UUID
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue // the testing framework's own output
		}
		id, err := uuid.Parse(line)
		if err != nil {
			t.Fatalf("child printed %q: %v", sc.Text(), err)
		}
		if acked = append(acked, id); len(acked) == killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
		// Acks already in the pipe when the signal lands were acknowledged too:
		// keep reading until EOF.
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v (acks %d)", err, len(acked))
	}
	if len(acked) < killAfter {
		t.Fatalf("acks=%d, want >= %d", len(acked), killAfter)
	}

	// The file must be consistent page by page...
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// ...and hold every acknowledged write, rows and indexes alike.
	s := MustOpenStorePath(t, path)
	MustView(t, s, func(tx orchestrator.Tx) error {
		pending, err := tx.PendingOperations()
		if err != nil {
			return err
		}
		inPending := make(map[uuid.UUID]bool, len(pending))
		for _, op := range pending {
			inPending[op.ID] = true
		}
		for _, id := range acked {
			if _, err := tx.Operation(id); err != nil {
				t.Errorf("acknowledged operation %s: %v", id, err)
			} else if !inPending[id] {
				t.Errorf("acknowledged operation %s missing from pending_ops", id)
			}
		}
		if got, want := len(pending), len(acked); got < want {
			t.Errorf("len(pending)=%d, want >= %d", got, want)
		}
		return nil
	})
	t.Logf("%d acknowledged writes survived SIGKILL", len(acked))
}

// crashChild writes until it is killed. It never returns normally in a passing run.
func crashChild(path string) {
	s, err := store.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	gameID := uuid.New()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				id := uuid.Must(uuid.NewV7())
				err := s.Update(context.Background(), func(tx orchestrator.Tx) error {
					return tx.PutOperation(&orchestrator.Operation{ID: id, GameID: gameID, Op: orchestrator.OpTurn, Status: orchestrator.OpQueued})
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(2)
				}
				// One write(2) per line straight to the pipe: no buffer to lose.
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s\n", id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
