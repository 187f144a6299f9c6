package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/webhook"
	"github.com/google/uuid"
)

// yearly is a schedule that never fires during a test: its turns are forced.
const yearly = "0 0 1 1 *"

// TestFaults runs the daemon in-process with the real engine and the local driver and
// breaks things under it: an engine that hangs, one that dies in the middle of a turn,
// a state directory that cannot be written, a lobby whose webhook fails. Each scenario
// has its own daemon and data directory, so they run in parallel; most of their time is
// the orchestrator's own retry backoff (TurnAttempts 4, TurnBackoff 2 s doubling).
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real engines and waits out the orchestrator's retries")
	}
	t.Run("EngineHangs", func(t *testing.T) { t.Parallel(); testEngineHangs(t) })
	t.Run("EngineDiesMidTurn", func(t *testing.T) { t.Parallel(); testEngineDiesMidTurn(t) })
	t.Run("StateDirReadOnly", func(t *testing.T) { t.Parallel(); testStateDirReadOnly(t) })
	t.Run("WebhookFails", func(t *testing.T) { t.Parallel(); testWebhookFails(t) })
}

// testEngineHangs stops (SIGSTOP) the engine of one game and forces a turn: the turn
// fails after bounded retries and leaves the game engine_unreachable while another game
// keeps generating turns on its schedule. Once the engine runs again (SIGCONT), a
// forced turn succeeds at the right number: the engine may have served the abandoned
// calls after SIGCONT, and {turn: 1} is then answered as already generated.
func testEngineHangs(t *testing.T) {
	const engineTimeout = time.Second
	m, a := MustRunFaultMain(t, fmt.Sprintf("operations {\n  engine_timeout = %q\n}\nlocal {\n  stop_grace = \"2s\"\n}\n", engineTimeout))
	hung := MustStartGame(t, a, yearly, "Hung")
	busy := MustStartGame(t, a, "@every 1s", "Busy")

	pf := MustReadPidfile(t, m, hung)
	if err := syscall.Kill(pf.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Runs before the daemon's Close (cleanups run last-in first-out), which would
	// otherwise wait out stop_grace on a stopped engine.
	t.Cleanup(func() { syscall.Kill(pf.PID, syscall.SIGCONT) })

	began := time.Now()
	queued := a.post(hung, "force-next-turn", nil)
	// The first timed-out call marks the engine critical at once, and the turn shows
	// running with its attempt and the time of the next one while it waits to retry.
	waitFor(t, 30*time.Second, "engine health critical", func() bool { return a.game(hung).Runtime.EngineHealth == orchestrator.HealthCritical })
	waitFor(t, 30*time.Second, "turn retrying", func() bool {
		var cur orchestrator.Operation
		a.must(200, "GET", "/api/v1/operations/"+queued.ID.String(), uuid.Nil, nil, &cur)
		return cur.Status == orchestrator.OpRunning && cur.Attempts >= 1 && cur.RetryAt != nil || cur.Done()
	})
	op := a.waitDone(queued, 90*time.Second)
	took := time.Since(began)
	if got, want := op.Status, orchestrator.OpFailed; got != want {
		t.Fatalf("turn of the hung engine: operation %s, want %s", got, want)
	}
	if got, want := op.ErrorCode, orchestrator.EENGINEUNREACHABLE; got != want {
		t.Fatalf("turn of the hung engine: error code %q, want %q (%s)", got, want, op.ErrorMessage)
	}
	// 4 attempts of engine_timeout: not given up after the first timeout. (How much
	// longer it takes depends on the machine; the bound is the attempt count.)
	if op.Attempts != 4 || took < 4*engineTimeout {
		t.Fatalf("turn of the hung engine failed after %d attempts in %s, want 4 attempts of %s", op.Attempts, took, engineTimeout)
	}
	v := a.game(hung)
	if got := v.Runtime.Status; got != orchestrator.StatusEngineUnreachable && got != orchestrator.StatusGenerationFailed {
		t.Fatalf("hung game: status %q, want %q or %q", got, orchestrator.StatusEngineUnreachable, orchestrator.StatusGenerationFailed)
	}
	if v.Runtime.CurrentTurn != 0 || v.Runtime.PendingTurn != 0 || v.Runtime.LastError == "" {
		t.Fatalf("hung game: currentTurn %d pendingTurn %d lastError %q, want 0, 0 and a reason", v.Runtime.CurrentTurn, v.Runtime.PendingTurn, v.Runtime.LastError)
	}

	// The other game went on meanwhile, without a failure: three of its turns ran,
	// from creation to end, while a turn of the hung engine was in flight (by the
	// operations' own times). A hung turn lasts at least the orchestrator's own timers
	// (4 timeouts of 1 s, backoffs of 2, 4 and 8 s: 18 s); how many turns fit into it
	// depends on the machine, so a slow one gets more hung turns, each failing like the
	// first, instead of a failure. A hung turn that held up the others fails this
	// however many there are.
	hungTurns := []*orchestrator.Operation{op}
	for {
		within := turnsWithin(t, a.operations(busy), hungTurns)
		if within >= 3 {
			break
		}
		if len(hungTurns) == 5 {
			t.Fatalf("busy game generated %d turns while %d turns of the other engine hung, want at least 3", within, len(hungTurns))
		}
		next := a.waitDone(a.post(hung, "force-next-turn", nil), 90*time.Second)
		if next.Status != orchestrator.OpFailed || next.ErrorCode != orchestrator.EENGINEUNREACHABLE || next.Attempts != 4 {
			t.Fatalf("another turn of the hung engine: %s %s after %d attempts, want failed %s after 4", next.Status, next.ErrorCode, next.Attempts, orchestrator.EENGINEUNREACHABLE)
		}
		hungTurns = append(hungTurns, next)
	}
	for _, op := range a.operations(busy) {
		if op.Status == orchestrator.OpFailed {
			t.Fatalf("busy game: operation %s turn %d failed: %s %s", op.Op, op.Details.Turn, op.ErrorCode, op.ErrorMessage)
		}
	}

	// The operator's way back: the engine runs again and a forced turn goes through.
	if err := syscall.Kill(pf.PID, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	for turn := 1; turn <= 2; turn++ {
		op := a.action(hung, "force-next-turn", nil)
		if got, want := op.Details.Turn, turn; got != want {
			t.Fatalf("recovery: forced turn %d, want %d", got, want)
		}
		v := a.game(hung)
		if got, want := v.Runtime.Status, orchestrator.StatusRunning; got != want {
			t.Fatalf("recovery: status %q, want %q", got, want)
		}
		if got, want := v.Runtime.CurrentTurn, turn; got != want {
			t.Fatalf("recovery: currentTurn %d, want %d", got, want)
		}
		if got, want := engineState(t, m, hung).Turn, turn; got != want {
			t.Fatalf("recovery: engine at turn %d, want %d (a turn doubled or lost)", got, want)
		}
	}
}

// testEngineDiesMidTurn stops the engine, forces a turn, waits until the turn request
// sits unread in the engine's socket and kills the engine (SIGKILL): the local driver
// restarts it, the orchestrator retries the same {turn: N} against the new process and
// the turn succeeds exactly once.
func testEngineDiesMidTurn(t *testing.T) {
	m, a := MustRunFaultMain(t, "local {\n  stop_grace = \"2s\"\n}\n")
	id := MustStartGame(t, a, yearly, "Phoenix")
	a.action(id, "force-next-turn", nil) // turn 1, the normal way

	pf := MustReadPidfile(t, m, id)
	if err := syscall.Kill(pf.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			syscall.Kill(pf.PID, syscall.SIGCONT)
		}
	})
	op := a.post(id, "force-next-turn", nil)
	waitFor(t, 30*time.Second, "the turn request waiting in the stopped engine's socket", func() bool {
		return requestPending(t, pf.Port)
	})
	if err := syscall.Kill(pf.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true

	op = a.waitDone(op, 60*time.Second)
	if op.Status != orchestrator.OpSucceeded || op.Details.Turn != 2 {
		t.Fatalf("turn across the crash: %s turn %d (%s %s), want succeeded turn 2", op.Status, op.Details.Turn, op.ErrorCode, op.ErrorMessage)
	}
	v := a.game(id)
	if v.Runtime.Status != orchestrator.StatusRunning || v.Runtime.CurrentTurn != 2 || v.Runtime.PendingTurn != 0 {
		t.Fatalf("after the crash: status %q currentTurn %d pendingTurn %d, want running at turn 2", v.Runtime.Status, v.Runtime.CurrentTurn, v.Runtime.PendingTurn)
	}
	if v.Runtime.Restarts < 1 {
		t.Fatalf("after the crash: restarts %d, want at least 1", v.Runtime.Restarts)
	}
	if got := MustReadPidfile(t, m, id).PID; got == pf.PID {
		t.Fatalf("engine pid %d after the crash, want a new process", got)
	}
	if got, want := engineState(t, m, id).Turn, 2; got != want {
		t.Fatalf("engine at turn %d after the crash, want %d", got, want)
	}
	turn2 := 0
	for _, op := range a.operations(id) {
		if (op.Op == orchestrator.OpTurn || op.Op == orchestrator.OpForceNextTurn) && op.Details.Turn == 2 {
			turn2++
		}
	}
	if got, want := turn2, 1; got != want {
		t.Fatalf("%d operations for turn 2, want %d", got, want)
	}
	// Had the engine generated turn 2 twice, it would now be ahead of the orchestrator.
	if got, want := a.action(id, "force-next-turn", nil).Details.Turn, 3; got != want {
		t.Fatalf("next forced turn %d, want %d", got, want)
	}
	if got, want := engineState(t, m, id).Turn, 3; got != want {
		t.Fatalf("engine at turn %d, want %d", got, want)
	}
}

// testStateDirReadOnly makes the game's state directory immutable (chattr +i, which
// stops root too) so that the engine cannot replace state.json: the turn fails with a
// reason that names state.json, the file is untouched and still parses, the engine did
// not move on in memory either, and once the directory is writable again a forced turn
// generates the very turn that failed.
func testStateDirReadOnly(t *testing.T) {
	requireImmutableDirs(t)
	m, a := MustRunFaultMain(t, "local {\n  stop_grace = \"2s\"\n}\n")
	id := MustStartGame(t, a, yearly, "Frozen")
	a.action(id, "force-next-turn", nil) // turn 1

	dir := filepath.Join(m.Config.DataDir, "games", id.String())
	statePath := filepath.Join(dir, "state.json")
	before, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	mustChattr(t, "+i", dir)
	immutable := true
	t.Cleanup(func() {
		if immutable {
			exec.Command("chattr", "-i", dir).Run()
		}
	})

	op := a.waitDone(a.post(id, "force-next-turn", nil), 90*time.Second)
	if op.Status != orchestrator.OpFailed || op.ErrorCode != orchestrator.EENGINE || !strings.Contains(op.ErrorMessage, "state.json") {
		t.Fatalf("turn on a read-only state dir: %s %q %q, want failed %q naming state.json", op.Status, op.ErrorCode, op.ErrorMessage, orchestrator.EENGINE)
	}
	v := a.game(id)
	if v.Runtime.Status != orchestrator.StatusGenerationFailed || v.Runtime.CurrentTurn != 1 || v.Runtime.PendingTurn != 0 {
		t.Fatalf("after the failed turn: status %q currentTurn %d pendingTurn %d, want %q at turn 1", v.Runtime.Status, v.Runtime.CurrentTurn, v.Runtime.PendingTurn, orchestrator.StatusGenerationFailed)
	}
	after, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatalf("state.json changed although the turn failed")
	}
	if got, want := mustStateTurn(t, after, id), 1; got != want {
		t.Fatalf("state.json at turn %d, want %d", got, want)
	}
	if got, want := engineState(t, m, id).Turn, 1; got != want {
		t.Fatalf("engine at turn %d in memory after the failed write, want %d", got, want)
	}

	mustChattr(t, "-i", dir)
	immutable = false
	if got, want := a.action(id, "force-next-turn", nil).Details.Turn, 2; got != want {
		t.Fatalf("forced turn after the fault: %d, want %d", got, want)
	}
	v = a.game(id)
	if v.Runtime.Status != orchestrator.StatusRunning || v.Runtime.CurrentTurn != 2 {
		t.Fatalf("after recovery: status %q currentTurn %d, want running at turn 2", v.Runtime.Status, v.Runtime.CurrentTurn)
	}
	data, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustStateTurn(t, data, id), 2; got != want {
		t.Fatalf("state.json at turn %d after recovery, want %d", got, want)
	}
}

// testWebhookFails points the daemon at a lobby that answers 500 until the games have
// generated turns and it has failed at least 3 calls: games keep generating turns
// meanwhile, the outbox backs off, and then every event arrives, signed, with the
// event id it was first tried with, in order per game, each turn exactly once.
func testWebhookFails(t *testing.T) {
	const secret, minFailures = "lobby-secret", 3
	lb := &fakeLobby{failing: true}
	srv := httptest.NewServer(lb)
	t.Cleanup(srv.Close) // after the daemon's Close, which is registered later
	m, a := MustRunFaultMain(t, fmt.Sprintf("lobby {\n  webhook_url = %q\n  webhook_secret = %q\n}\n", srv.URL, secret))
	ids := []uuid.UUID{MustStartGame(t, a, "@every 1s", "Alpha"), MustStartGame(t, a, "@every 1s", "Beta")}

	// The lobby fails until each game has generated a turn (turns go on while it
	// fails) and it has answered its third 500 (about 3 s in); the outbox then
	// waits 4 s, or longer if a slow machine took longer to generate the turns.
	waitFor(t, time.Minute, "a turn of each game while the webhook fails", func() bool {
		for _, id := range ids {
			if a.game(id).Runtime.CurrentTurn < 1 {
				return false
			}
		}
		return len(lb.snapshot()) >= minFailures
	})
	failures := lb.stopFailing()
	waitFor(t, 10*time.Minute, "a delivery after the failures", func() bool { return len(lb.snapshot()) > failures })

	// End the stream: paused games skip their ticks; a turn already closed completes.
	for _, id := range ids {
		a.must(200, "POST", "/api/v1/games/"+id.String()+"/pause", uuid.Nil, nil, nil)
	}
	final := map[uuid.UUID]int{}
	for _, id := range ids {
		waitFor(t, 30*time.Second, "no turn in progress", func() bool {
			v := a.game(id)
			final[id] = v.Runtime.CurrentTurn
			return v.Runtime.PendingTurn == 0 && v.Runtime.Status == orchestrator.StatusRunning
		})
	}
	waitFor(t, 30*time.Second, "the outbox drained", func() bool {
		n, err := m.Outbox.Depth(context.Background())
		return err == nil && n == 0
	})

	calls := lb.snapshot()
	// The outbox backs off: after each failure it waits BackoffMin, doubling up to
	// BackoffMax, before the next call, though new events keep arriving meanwhile.
	for i, wait := 0, m.Outbox.BackoffMin; i < failures; i, wait = i+1, min(2*wait, m.Outbox.BackoffMax) {
		if gap := calls[i+1].at.Sub(calls[i].at); gap < wait {
			t.Fatalf("webhook call %d came %s after failed call %d, want the outbox to back off %s", i+1, gap.Round(time.Millisecond), i, wait)
		}
	}
	failed := map[uuid.UUID]bool{}
	delivered := map[uuid.UUID]bool{}
	var lastSeq uint64
	perGame := map[uuid.UUID][]orchestrator.Event{}
	for i, c := range calls {
		if !webhook.Verify(secret, c.ts, c.body, c.sig) {
			t.Fatalf("call %d: signature %q does not verify", i, c.sig)
		}
		if c.id != c.event.ID.String() || c.typ != c.event.Type {
			t.Fatalf("call %d: headers id %s type %s, body id %s type %s", i, c.id, c.typ, c.event.ID, c.event.Type)
		}
		if c.status != http.StatusOK {
			failed[c.event.ID] = true
			continue
		}
		if delivered[c.event.ID] {
			t.Fatalf("call %d: event %s (%s) delivered twice", i, c.event.ID, c.event.Type)
		}
		delivered[c.event.ID] = true
		if c.event.Seq <= lastSeq {
			t.Fatalf("call %d: event seq %d after %d: out of order", i, c.event.Seq, lastSeq)
		}
		lastSeq = c.event.Seq
		perGame[c.event.GameID] = append(perGame[c.event.GameID], c.event)
	}
	if got, want := len(failed), 1; got != want {
		t.Fatalf("%d distinct events failed, want %d: the outbox retries the head event", got, want)
	}
	for id := range failed {
		if !delivered[id] {
			t.Fatalf("event %s failed and was never delivered with the same id", id)
		}
		if got := calls[failures].event.ID; got != id {
			t.Fatalf("first successful delivery was event %s, want the failed %s", got, id)
		}
	}
	firstOK := calls[failures].at
	for _, id := range ids {
		evs := perGame[id]
		// Turns went on while the lobby failed: some were generated before any event
		// got through.
		if len(evs) < 2 || !evs[1].CreatedAt.Before(firstOK) {
			t.Fatalf("game %s: no turn generated while the webhook failed (first delivery at %s): %v", id, firstOK, eventTypes(evs))
		}
		// The pause is the end of the stream, save for a turn that was already closed
		// when it came: at most that one turn follows it.
		end := len(evs) - 1 // the pause
		last := evs[end]
		if last.Type == orchestrator.EventTurnGenerated && len(evs) >= 3 && evs[end-1].Type == orchestrator.EventGamePaused && evs[end-1].Turn == last.Turn-1 {
			end--
			last = evs[end]
		}
		if len(evs) < 2 || evs[0].Type != orchestrator.EventGameStarted || last.Type != orchestrator.EventGamePaused {
			t.Fatalf("game %s: events %v, want game.started first and game.paused last (or followed by the one turn already closed)", id, eventTypes(evs))
		}
		turn := 0
		for _, e := range append(evs[1:end:end], evs[end+1:]...) { // the turns, the pause left out
			if e.Type != orchestrator.EventTurnGenerated || e.Turn != turn+1 {
				t.Fatalf("game %s: after turn %d came %s turn %d, want %s turn %d: %v", id, turn, e.Type, e.Turn, orchestrator.EventTurnGenerated, turn+1, eventTypes(evs))
			}
			turn = e.Turn
		}
		if got, want := turn, final[id]; got != want {
			t.Fatalf("game %s: turn events up to %d, runtime at turn %d", id, got, want)
		}
	}
}

// MustRunFaultMain writes hcl as the daemon's config file and runs the daemon
// in-process on a fresh data directory.
func MustRunFaultMain(tb testing.TB, hcl string) (*Main, api) {
	tb.Helper()
	dir := tb.TempDir()
	cfg := filepath.Join(dir, "galaxyd.hcl")
	if err := os.WriteFile(cfg, []byte(hcl), 0o600); err != nil {
		tb.Fatal(err)
	}
	m := MustRunMain(tb, dir, "-config", cfg)
	return m, api{tb: tb, base: m.HTTP.URL()}
}

// MustStartGame creates a one-race game on schedule cron and starts it.
func MustStartGame(tb testing.TB, a api, cron, race string) uuid.UUID {
	tb.Helper()
	var g orchestrator.GameView
	a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
		"engineVersion": DevEngineVersion,
		"schedule":      map[string]string{"cron": cron},
		"players":       []map[string]any{{"userId": uuid.New(), "raceName": race}},
		"settings":      map[string]any{"seed": 1},
	}, &g)
	a.action(g.ID, "start", nil)
	return g.ID
}

// post asks for action on game id and returns the queued operation without waiting.
func (a api) post(id uuid.UUID, action string, body any) *orchestrator.Operation {
	a.tb.Helper()
	var op orchestrator.Operation
	a.must(202, "POST", "/api/v1/games/"+id.String()+"/"+action, uuid.Nil, body, &op)
	return &op
}

// waitDone polls op until it is terminal, whatever its outcome.
func (a api) waitDone(op *orchestrator.Operation, timeout time.Duration) *orchestrator.Operation {
	a.tb.Helper()
	var cur orchestrator.Operation
	waitFor(a.tb, timeout, "operation "+string(op.Op)+" "+op.ID.String()+" done", func() bool {
		a.must(200, "GET", "/api/v1/operations/"+op.ID.String(), uuid.Nil, nil, &cur)
		return cur.Done()
	})
	return &cur
}

// operations lists the game's operations, newest first.
func (a api) operations(id uuid.UUID) []*orchestrator.Operation {
	a.tb.Helper()
	var list struct{ Operations []*orchestrator.Operation }
	a.must(200, "GET", "/api/v1/games/"+id.String()+"/operations?limit=1000", uuid.Nil, nil, &list)
	return list.Operations
}

// turnsWithin counts the succeeded turn operations in ops that were created and
// finished within one of the operations of windows (from its creation to its end).
func turnsWithin(tb testing.TB, ops, windows []*orchestrator.Operation) int {
	tb.Helper()
	n := 0
	for _, op := range ops {
		if op.Op != orchestrator.OpTurn && op.Op != orchestrator.OpForceNextTurn || op.Status != orchestrator.OpSucceeded {
			continue
		}
		if op.FinishedAt == nil {
			tb.Fatalf("succeeded operation %s without its end time: %+v", op.ID, op)
		}
		for _, w := range windows {
			if w.FinishedAt == nil {
				tb.Fatalf("finished operation %s without its end time: %+v", w.ID, w)
			}
			if !op.CreatedAt.Before(w.CreatedAt) && !op.FinishedAt.After(*w.FinishedAt) {
				n++
				break
			}
		}
	}
	return n
}

// waitFor polls cond until it holds, failing with what after timeout.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("no %s after %s", what, timeout)
		}
		time.Sleep(25 * time.Millisecond) // poll interval
	}
}

// enginePidfile is what the local driver writes to <data-dir>/games/<uuid>/engine.pid.
type enginePidfile struct {
	PID  int `json:"pid"`
	Port int `json:"port"`
}

// MustReadPidfile reads the pidfile of game id's engine.
func MustReadPidfile(tb testing.TB, m *Main, id uuid.UUID) enginePidfile {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(m.Config.DataDir, "games", id.String(), "engine.pid"))
	if err != nil {
		tb.Fatal(err)
	}
	var pf enginePidfile
	if err := json.Unmarshal(b, &pf); err != nil || pf.PID <= 0 || pf.Port <= 0 {
		tb.Fatalf("engine.pid %s: %v", b, err)
	}
	return pf
}

// requestPending reports whether a connection to 127.0.0.1:port holds bytes its
// owner has not read: with the engine stopped, that is a request in flight to it.
func requestPending(tb testing.TB, port int) bool {
	tb.Helper()
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		tb.Skipf("cannot see socket queues: %v", err)
	}
	defer f.Close()
	local := fmt.Sprintf("0100007F:%04X", port)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st tx_queue:rx_queue ...
		if len(fields) < 5 || fields[1] != local || fields[3] != "01" {
			continue
		}
		_, rx, _ := strings.Cut(fields[4], ":")
		if n, err := strconv.ParseUint(rx, 16, 64); err == nil && n > 0 {
			return true
		}
	}
	return false
}

// requireImmutableDirs skips the test unless chattr +i works here and stops even
// this process (root ignores permission bits, not the immutable flag).
func requireImmutableDirs(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("chattr"); err != nil {
		tb.Skip("chattr not installed: cannot make a state directory unwritable for root")
	}
	dir := tb.TempDir()
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		tb.Skipf("chattr +i not supported on %s: %v %s", dir, err, out)
	}
	defer exec.Command("chattr", "-i", dir).Run()
	if f, err := os.Create(filepath.Join(dir, "probe")); err == nil {
		f.Close()
		tb.Skip("chattr +i does not stop writes here")
	}
}

func mustChattr(tb testing.TB, flag, path string) {
	tb.Helper()
	if out, err := exec.Command("chattr", flag, path).CombinedOutput(); err != nil {
		tb.Fatalf("chattr %s %s: %v %s", flag, path, err, out)
	}
}

// mustStateTurn parses a state.json of game id and returns its turn.
func mustStateTurn(tb testing.TB, data []byte, id uuid.UUID) int {
	tb.Helper()
	var st struct {
		GameID uuid.UUID `json:"gameId"`
		Turn   int       `json:"turn"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		tb.Fatalf("state.json does not parse: %v", err)
	}
	if st.GameID != id {
		tb.Fatalf("state.json of game %s, want %s", st.GameID, id)
	}
	return st.Turn
}
