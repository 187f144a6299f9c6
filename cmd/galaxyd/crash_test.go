package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

// daemon is the real galaxyd binary running as a child process.
type daemon struct {
	tb   testing.TB
	cmd  *exec.Cmd
	addr string
}

// MustStartDaemon runs galaxyd -dev on addr with its data in dataDir and waits until
// it answers /readyz.
func MustStartDaemon(tb testing.TB, dataDir, addr string, extra ...string) *daemon {
	tb.Helper()
	args := append([]string{"-dev", "-listen", addr, "-data-dir", dataDir, "-engine-command", engineBin, "-log-level", "warn"}, extra...)
	cmd := exec.Command(galaxydBin, args...)
	log, err := os.OpenFile(filepath.Join(dataDir, "galaxyd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	d := &daemon{tb: tb, cmd: cmd, addr: addr}
	tb.Cleanup(func() { d.kill(syscall.SIGKILL) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return d
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dataDir, "galaxyd.log"))
			tb.Fatalf("galaxyd not ready on %s: %v\n%s", addr, err, b)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

func (d *daemon) kill(sig syscall.Signal) {
	if d.cmd.ProcessState != nil {
		return
	}
	d.cmd.Process.Signal(sig)
	d.cmd.Wait()
}

// freeAddr is a loopback address for a daemon that is killed and started again on it.
// The port comes from below the kernel's ephemeral range, where no outgoing connection
// can take it as its source port in between.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	port, err := nomadtest.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// TestKill9KeepsQueuedOperations kills the real daemon with operations queued behind
// a single worker and shows that after a restart every acknowledged operation is
// there and completes.
func TestKill9KeepsQueuedOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real daemon")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "galaxyd.hcl")
	if err := os.WriteFile(cfg, []byte("operations {\n  workers = 1\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	d := MustStartDaemon(t, dir, addr, "-config", cfg)
	a := api{tb: t, base: "http://" + addr}

	const games = 8
	var ops []*orchestrator.Operation
	var ids []uuid.UUID
	for i := 0; i < games; i++ {
		var g orchestrator.GameView
		a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
			"engineVersion": DevEngineVersion,
			"schedule":      map[string]string{"cron": "0 0 1 1 *"},
			"players":       []map[string]any{{"userId": uuid.New(), "raceName": fmt.Sprintf("Race%d", i)}},
		}, &g)
		var op orchestrator.Operation
		a.must(202, "POST", "/api/v1/games/"+g.ID.String()+"/start", uuid.Nil, nil, &op)
		ops, ids = append(ops, &op), append(ids, g.ID)
	}
	d.kill(syscall.SIGKILL)

	// With one worker, the last start cannot have run yet: the kill hit queued work.
	st, err := store.Open(filepath.Join(dir, "galaxy.db"))
	if err != nil {
		t.Fatal(err)
	}
	var pending []*orchestrator.Operation
	if err := st.View(context.Background(), func(tx orchestrator.Tx) (err error) {
		pending, err = tx.PendingOperations()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if len(pending) == 0 {
		t.Fatal("no operation was pending at the kill; the test did not test anything")
	}
	t.Logf("%d of %d operations pending at the kill", len(pending), games)

	MustStartDaemon(t, dir, addr, "-config", cfg)
	for _, op := range ops {
		a.waitOp(op)
	}
	for _, id := range ids {
		if v := a.game(id); v.Runtime.Status != orchestrator.StatusRunning {
			t.Fatalf("game %s: status %s, want running", id, v.Runtime.Status)
		}
	}
	var list struct{ Games []*orchestrator.GameView }
	a.must(200, "GET", "/api/v1/games", uuid.Nil, nil, &list)
	if got := len(list.Games); got != games {
		t.Fatalf("%d games listed after the crash, want %d", got, games)
	}
}
