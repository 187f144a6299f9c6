package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

// TestReplayTurnBehindStop is the reproduction of a bug TestCrash found: galaxyd is
// killed while turn N of a game runs, after the engine generated N and before the
// outcome was committed, and a stop of that game is queued behind the turn. This is
// the crash state DESIGN §6 promises to handle by replaying {turn: N}.
//
// The test builds that state exactly (the timing in TestCrash is luck): the store is
// written the way enqueueTurn and Stop leave it (runtime generation pending N, status
// stopping, a running turn operation, then a queued stop), and the engine is moved to
// turn N by its own admin API. Then galaxyd starts on it.
//
// The bug (fixed in 98a1c29): the resumed turn operation called engineFor
// (orchestrator/service.go), which brought an engine back only for a game whose
// runtime is Active(); "stopping" is not, so every attempt failed with unavailable
// and after TurnAttempts with backoff (~14 s) execTurn failed the operation. The end
// state was state.json at turn N, runtime currentTurn N-1, status stopped, turn N
// recorded only by a failed operation and no turn_generated event. Want: the replay
// reaches the engine (which answers the repeated {turn: N} with 200, §4) and records
// turn N as succeeded.
func TestReplayTurnBehindStop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real daemon")
	}
	dir := t.TempDir()
	port, err := freeLoopbackPort(rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)))
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(port)
	d := &daemon{
		bin:    galaxydBin,
		args:   []string{"-dev", "-listen", "127.0.0.1:" + strconv.Itoa(port), "-data-dir", dir, "-engine-command", engineBin, "-log-level", "warn"},
		logf:   filepath.Join(dir, "galaxyd.log"),
		client: c,
	}
	ctx := context.Background()
	if err := d.start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.kill)

	// A running game at turn 0 whose schedule never fires during the test.
	g, created, err := c.CreateGame(ctx, orchestrator.GameInput{
		EngineVersion: devEngineVersion,
		Schedule:      orchestrator.Schedule{Cron: "0 0 1 1 *"},
		Players:       []orchestrator.PlayerInput{{UserID: uuid.New(), RaceName: "Aliens"}},
	}, "")
	if err != nil || !created {
		t.Fatalf("create: created %t, %v", created, err)
	}
	id := g.ID
	waitOp(t, c, queueOp(t, c, id, c.Start))
	if err := d.terminate(30 * time.Second); err != nil {
		t.Fatal(err)
	}

	// The crash state: turn 1 pending, a stop queued behind it.
	st, err := store.Open(filepath.Join(dir, "galaxy.db"))
	if err != nil {
		t.Fatal(err)
	}
	var token string
	turnOp := &orchestrator.Operation{ID: uuid.Must(uuid.NewV7()), GameID: id, Op: orchestrator.OpTurn, Source: orchestrator.SourceScheduler,
		Status: orchestrator.OpRunning, Details: orchestrator.OpDetails{Turn: 1}, Attempts: 1, CreatedAt: time.Now().UTC()}
	stopOp := &orchestrator.Operation{ID: uuid.Must(uuid.NewV7()), GameID: id, Op: orchestrator.OpStop, Source: orchestrator.SourceLobby,
		Status: orchestrator.OpQueued, CreatedAt: time.Now().UTC()}
	err = st.Update(ctx, func(tx orchestrator.Tx) error {
		if token, err = tx.GameSecret(id); err != nil {
			return err
		}
		r, err := tx.Runtime(id)
		if err != nil {
			return err
		}
		r.Status, r.PendingTurn = orchestrator.StatusStopping, 1
		if err := tx.PutRuntime(r); err != nil {
			return err
		}
		if err := tx.PutOperation(turnOp); err != nil {
			return err
		}
		return tx.PutOperation(stopOp)
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The engine generated turn 1 before galaxyd died.
	advanceEngine(t, filepath.Join(dir, "games", id.String()), token, 1)

	if err := d.start(ctx); err != nil {
		t.Fatal(err)
	}
	turn := waitOp(t, c, turnOp.ID)
	stop := waitOp(t, c, stopOp.ID)
	v, err := c.Game(ctx, id)
	if err != nil {
		t.Fatalf("get game: %v", err)
	}
	if err := d.terminate(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "games", id.String(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var es engineState
	if err := json.Unmarshal(b, &es); err != nil {
		t.Fatal(err)
	}
	t.Logf("turn op %s %s %q; stop op %s; runtime %s at turn %d; engine at turn %d",
		turn.Status, turn.ErrorCode, turn.ErrorMessage, stop.Status, v.Runtime.Status, v.Runtime.CurrentTurn, es.Turn)
	if got, want := v.Runtime.CurrentTurn, es.Turn; got != want {
		t.Errorf("turn replay refused while stopping: runtime currentTurn %d, engine state.json turn %d", got, want)
	}
	if got, want := turn.Status, orchestrator.OpSucceeded; got != want {
		t.Errorf("turn replay refused while stopping: replayed turn operation %s (%s: %s), want %s", got, turn.ErrorCode, turn.ErrorMessage, want)
	}
}

// queueOp sends a lifecycle write and returns the operation id from its 202.
func queueOp(t *testing.T, c *ghttp.Client, id uuid.UUID, call opCall) uuid.UUID {
	t.Helper()
	op, err := call(context.Background(), id, orchestrator.SourceLobby)
	if err != nil {
		t.Fatalf("queue an operation of %s: %v", id, err)
	}
	return op.ID
}

// waitOp polls an operation until it is terminal (60s at most).
func waitOp(t *testing.T, c *ghttp.Client, id uuid.UUID) *orchestrator.Operation {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		op, err := c.Operation(context.Background(), id)
		if err == nil && op.Done() {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s not terminal after 60s: %+v %v", id, op, err)
		}
		<-poll.C
	}
}

// advanceEngine runs the engine on stateDir by itself and generates turn n.
func advanceEngine(t *testing.T, stateDir, token string, n int) {
	t.Helper()
	port, err := freeLoopbackPort(rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2)))
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(engineBin)
	cmd.Env = []string{"GAME_STATE_PATH=" + stateDir, "GALAXY_ENGINE_ADDR=" + addr, "GALAXY_ENGINE_ADMIN_TOKEN=" + token}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	ec := engine.NewClient("http://"+addr, token)
	deadline := time.Now().Add(10 * time.Second)
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for ec.Healthz(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("engine not healthy after 10s")
		}
		<-poll.C
	}
	if st, err := ec.Turn(context.Background(), n); err != nil || st.Turn != n {
		t.Fatalf("engine turn %d: %v %+v", n, err, st)
	}
}
