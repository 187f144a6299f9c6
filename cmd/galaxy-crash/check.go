package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// orphanGrace is how long an engine may take to exit after the final graceful
// shutdown returned. galaxyd's Close waits for its engines, so this only covers an
// engine of a killed daemon that got its Pdeathsig SIGTERM a moment ago.
const orphanGrace = 3 * time.Second

// checkOrphans is check 3: once galaxyd shut down gracefully, no process runs the
// run's engine binary.
func checkOrphans(bin string, res *Result) {
	deadline := time.Now().Add(orphanGrace)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		procs := engineProcs(bin)
		if len(procs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range procs {
				id, _ := uuid.Parse(dirBase(p.Dir))
				res.violate(CheckOrphan, id, "engine pid %d (parent %d, dir %s) still runs %s after galaxyd shut down", p.PID, p.PPID, p.Dir, orphanGrace)
			}
			return
		}
		<-poll.C
	}
}

// checkBolt is check 4: the file opens and passes bbolt's own consistency check
// (page reachability, freelist, ordering of keys), read-only so the check itself
// cannot repair or change anything.
func checkBolt(path string, res *Result) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		res.violate(CheckBolt, uuid.Nil, "open %s: %v", path, err)
		return
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if n++; n <= 20 {
				res.violate(CheckBolt, uuid.Nil, "tx.Check: %v", err)
			}
		}
		return nil
	})
	if err != nil {
		res.violate(CheckBolt, uuid.Nil, "view: %v", err)
	}
	if n > 20 {
		res.violate(CheckBolt, uuid.Nil, "%d more tx.Check errors", n-20)
	}
}

// checkTimes are the moments the store checks measure against.
type checkTimes struct {
	settled  time.Time // no operation was queued or running (zero: never got there)
	shutdown time.Time // SIGTERM was sent
	every    time.Duration
}

// gameState is one game as the store and the engine's directory hold it at the end.
type gameState struct {
	game *orchestrator.Game
	rt   *orchestrator.Runtime
	ops  []*orchestrator.Operation
}

// checkStore reads the store after the shutdown and runs checks 1 and 2.
func checkStore(ctx context.Context, dataDir string, l *ledger, res *Result, at checkTimes) {
	st, err := store.Open(filepath.Join(dataDir, "galaxy.db"))
	if err != nil {
		res.violate(CheckBolt, uuid.Nil, "store.Open: %v", err)
		return
	}
	defer st.Close()
	games := make(map[uuid.UUID]*gameState)
	ops := make(map[uuid.UUID]*orchestrator.Operation)
	err = st.View(ctx, func(tx orchestrator.Tx) error {
		list, err := tx.Games(uuid.Nil, 0)
		if err != nil {
			return err
		}
		for _, g := range list {
			gs := &gameState{game: g}
			if gs.rt, err = tx.Runtime(g.ID); err != nil {
				return fmt.Errorf("runtime of %s: %w", g.ID, err)
			}
			if gs.ops, err = tx.GameOperations(g.ID, 0); err != nil {
				return fmt.Errorf("operations of %s: %w", g.ID, err)
			}
			for _, op := range gs.ops {
				ops[op.ID] = op
			}
			games[g.ID] = gs
		}
		return nil
	})
	if err != nil {
		res.violate(CheckBolt, uuid.Nil, "read the store: %v", err)
		return
	}
	checkAcked(l, res, games, ops, at)
	ids := make([]uuid.UUID, 0, len(games))
	for id := range games {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	for _, id := range ids {
		rec, _ := l.game(id)
		checkTurns(filepath.Join(dataDir, "games", id.String()), games[id], rec, res, at)
	}
}

// checkAcked is check 1: every acknowledged game and operation is in the store, and
// every operation of every game ended, failed ones with an error code.
func checkAcked(l *ledger, res *Result, games map[uuid.UUID]*gameState, ops map[uuid.UUID]*orchestrator.Operation, at checkTimes) {
	res.Games, res.Operations = len(games), len(ops)
	for _, g := range l.all() {
		res.GamesAcked++
		if games[g.ID] == nil {
			res.violate(CheckAcked, g.ID, "acknowledged game is not in the store")
		}
	}
	for _, a := range l.ackedOps() {
		res.OpsAcked++
		op := ops[a.ID]
		switch {
		case op == nil:
			res.violate(CheckAcked, a.GameID, "acknowledged %s operation %s (at %s) is not in the store", a.Op, a.ID, a.At.Format(time.StampMilli))
		case op.GameID != a.GameID || op.Op != a.Op:
			res.violate(CheckAcked, a.GameID, "acknowledged %s operation %s is stored as %s of game %s", a.Op, a.ID, op.Op, op.GameID)
		}
	}
	for _, op := range ops {
		if res.OpsByKind == nil {
			res.OpsByKind = map[string]int{}
		}
		res.OpsByKind[string(op.Op)+"/"+string(op.Source)]++
		switch op.Status {
		case orchestrator.OpSucceeded:
			res.OpsSucceeded++
		case orchestrator.OpFailed:
			res.OpsFailed++
			res.FailedByCode[string(op.Op)+":"+op.ErrorCode]++
			if op.ErrorCode == "" {
				res.violate(CheckTerminal, op.GameID, "%s operation %s failed without an error code (%q)", op.Op, op.ID, op.ErrorMessage)
			}
		default:
			// The reconciler may queue a start between the settle point and SIGTERM;
			// such an operation rightly waits for the next boot.
			if !at.settled.IsZero() && op.CreatedAt.After(at.settled) {
				res.note("%s operation %s of game %s was queued after the settle point and is %s at shutdown", op.Op, op.ID, op.GameID, op.Status)
				continue
			}
			res.violate(CheckTerminal, op.GameID, "%s operation %s (source %s, created %s) is still %s after settling",
				op.Op, op.ID, op.Source, op.CreatedAt.Format(time.StampMilli), op.Status)
		}
	}
}

// engineState is the part of the reference engine's state.json the checks read.
type engineState struct {
	GameID   uuid.UUID `json:"gameId"`
	Turn     int       `json:"turn"`
	Finished bool      `json:"finished"`
}

// checkTurns is check 2 for one game: no turn doubled, skipped or unrecorded.
//
// The engine's state.json is the truth of what happened (the engine generates a turn
// only when asked for exactly current+1, DESIGN §4); the runtime record is what the
// orchestrator believes. With every operation ended they must agree:
//
//   - engine turn T == runtime currentTurn, with nothing pending (a game left in
//     generation_failed or engine_unreachable may trail the engine by the one turn
//     whose answer was lost; that is noted, not a violation: its retry converges);
//   - turns/N.json exists for every N in 1..T and for no N > T (a snapshot beyond T
//     would be a turn generated and then lost, a missing one a skipped turn);
//   - every turn 1..currentTurn was recorded by a succeeded turn or force_next_turn
//     operation, and no succeeded operation claims a turn > T;
//   - T ≤ slots + forced + 1, where
//     slots  = ⌊end/every⌋ − ⌊start/every⌋ is the number of grid slots (multiples of
//     the interval since the epoch, orchestrator.CompiledSchedule.Next) in
//     (start, end]: start is when the first start request that may have been
//     committed was sent (the first deadline is the first slot after the start
//     operation ends, so strictly after start), end is when the final pause was
//     acknowledged (no scheduled turn is queued after it) or, failing that, the
//     shutdown. Each scheduled turn consumes a distinct slot: after it the
//     deadline moves to the first slot after the turn ended, missed slots run
//     once (§6). So scheduled turns ≤ slots;
//     forced = force-next-turn requests acknowledged or unanswered (an unanswered
//     one may have been committed); each queues at most one turn;
//     +1 absorbs clock granularity between the two processes.
//     Both parts are also checked on their own: succeeded scheduled turns ≤ slots+1,
//     succeeded forced turns ≤ forced.
func checkTurns(dir string, gs *gameState, rec gameRecord, res *Result, at checkTimes) {
	id, rt := gs.game.ID, gs.rt
	var st engineState
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if rt.Initialized || rt.CurrentTurn != 0 {
			res.violate(CheckTurns, id, "state.json is missing but the runtime is initialised at turn %d (status %s)", rt.CurrentTurn, rt.Status)
			return
		}
	case err != nil:
		res.violate(CheckTurns, id, "read state.json: %v", err)
		return
	default:
		if err := json.Unmarshal(b, &st); err != nil {
			res.violate(CheckTurns, id, "state.json does not decode: %v", err)
			return
		}
		if st.GameID != id {
			res.violate(CheckTurns, id, "state.json belongs to game %s", st.GameID)
		}
	}
	T := st.Turn
	res.Turns += T

	if rt.PendingTurn != 0 || rt.Status == orchestrator.StatusGenerationInProgress {
		res.violate(CheckTurns, id, "turn %d still pending (status %s) with every operation ended: the game is stuck", rt.PendingTurn, rt.Status)
	}
	if T != rt.CurrentTurn {
		failed := rt.Status == orchestrator.StatusGenerationFailed || rt.Status == orchestrator.StatusEngineUnreachable
		switch {
		case failed && T == rt.CurrentTurn+1:
			res.note("game %s: engine at turn %d, runtime at %d in %s (the failed turn's answer was lost; a retry converges)", id, T, rt.CurrentTurn, rt.Status)
		case T == rt.CurrentTurn+1 && failedUnavailable(gs.ops, T):
			res.violate(CheckTurns, id, "engine state.json is at turn %d but the runtime's currentTurn is %d (status %s): "+
				"the turn-replay-refused-while-stopping bug is back (TestReplayTurnBehindStop): the turn %d replayed after a kill "+
				"failed with unavailable with a stop queued behind it", T, rt.CurrentTurn, rt.Status, T)
		default:
			res.violate(CheckTurns, id, "engine state.json is at turn %d but the runtime's currentTurn is %d (status %s)", T, rt.CurrentTurn, rt.Status)
		}
	}

	// Snapshots: exactly 1..T (0.json, the initial state, may or may not exist).
	snaps := map[int]bool{}
	ents, _ := os.ReadDir(filepath.Join(dir, "turns"))
	for _, e := range ents {
		n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".json"))
		if err != nil || !strings.HasSuffix(e.Name(), ".json") {
			continue // temporary files of an interrupted write
		}
		snaps[n] = true
		if n > T {
			res.violate(CheckTurns, id, "turns/%d.json exists beyond the engine's turn %d", n, T)
		}
	}
	var missing []string
	for n := 1; n <= T; n++ {
		if !snaps[n] {
			missing = append(missing, strconv.Itoa(n))
		}
	}
	if len(missing) > 0 {
		res.violate(CheckTurns, id, "turns/N.json missing for N = %s of 1..%d (skipped turns?)", strings.Join(missing, ","), T)
	}

	// Operations: every turn recorded, none beyond.
	byTurn := map[int]int{}
	scheduled, forced := map[int]bool{}, map[int]bool{}
	for _, op := range gs.ops {
		if op.Status != orchestrator.OpSucceeded || (op.Op != orchestrator.OpTurn && op.Op != orchestrator.OpForceNextTurn) {
			continue
		}
		n := op.Details.Turn
		if n == 0 {
			continue // a turn operation replayed after its turn was recorded by another
		}
		byTurn[n]++
		if op.Op == orchestrator.OpTurn {
			scheduled[n] = true
		} else {
			forced[n] = true
		}
		if n > T {
			res.violate(CheckTurns, id, "%s operation %s succeeded for turn %d but the engine is at turn %d", op.Op, op.ID, n, T)
		}
	}
	missing = missing[:0]
	for n := 1; n <= rt.CurrentTurn; n++ {
		if byTurn[n] == 0 {
			missing = append(missing, strconv.Itoa(n))
		}
	}
	if len(missing) > 0 {
		res.violate(CheckTurns, id, "no succeeded turn operation for turn %s of 1..%d", strings.Join(missing, ","), rt.CurrentTurn)
	}
	for n, k := range byTurn {
		if k > 1 {
			res.note("game %s: turn %d recorded by %d succeeded operations (the engine answers a repeated {turn: N} without generating)", id, n, k)
		}
	}
	res.ScheduledTurns += len(scheduled)
	res.Forced += len(forced)

	// The upper bound (see the doc comment for its derivation).
	end := rec.Paused
	if end.IsZero() {
		end = at.shutdown
	}
	slots := 0
	if !rec.FirstStart.IsZero() {
		p := int64(at.every)
		slots = int(end.UnixNano()/p - rec.FirstStart.UnixNano()/p)
	}
	if bound := slots + rec.Forced + 1; T > bound {
		res.violate(CheckTurns, id, "engine at turn %d, more than %d grid slots + %d forced + 1 allow (first start %s, end %s): doubled turns",
			T, slots, rec.Forced, rec.FirstStart.Format(time.StampMilli), end.Format(time.StampMilli))
	}
	if len(scheduled) > slots+1 {
		res.violate(CheckTurns, id, "%d scheduled turns succeeded in %d grid slots", len(scheduled), slots)
	}
	if len(forced) > rec.Forced {
		res.violate(CheckTurns, id, "%d forced turns succeeded for %d force-next-turn requests", len(forced), rec.Forced)
	}
}

// failedUnavailable reports whether a turn operation for turn n failed with
// unavailable: the signature of the replay refused by engineFor for a game that is
// no longer Active (TestReplayTurnBehindStop).
func failedUnavailable(ops []*orchestrator.Operation, n int) bool {
	for _, op := range ops {
		if (op.Op == orchestrator.OpTurn || op.Op == orchestrator.OpForceNextTurn) && op.Details.Turn == n &&
			op.Status == orchestrator.OpFailed && op.ErrorCode == orchestrator.EUNAVAILABLE {
			return true
		}
	}
	return false
}
