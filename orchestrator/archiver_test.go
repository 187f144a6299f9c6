package orchestrator_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// MustOpenArchived is a harness whose service archives into an in-memory archive.
func MustOpenArchived(tb testing.TB) (*harness, *memArchive) {
	tb.Helper()
	a := newMemArchive()
	return MustOpenHarnessWith(tb, t0, func(c *orchestrator.Config) { c.Archive = a }), a
}

func (h *harness) orders(id uuid.UUID, player, turn int, final bool) {
	h.tb.Helper()
	g, err := h.svc.Game(context.Background(), id)
	if err != nil {
		h.tb.Fatal(err)
	}
	o := json.RawMessage(`{"type":"produce","planet":"1","what":"CAP"}`)
	if _, err := h.svc.SubmitOrders(context.Background(), id, g.Players[player].UserID, orchestrator.OrdersInput{Turn: &turn, Orders: []json.RawMessage{o}, Final: final}); err != nil {
		h.tb.Fatal(err)
	}
}

// Every generated turn's snapshot is archived with the turn, and the journal of the
// turns before it is forgotten.
func TestArchive_EveryTurn(t *testing.T) {
	ctx := context.Background()
	h, a := MustOpenArchived(t)
	id := h.mustStart()
	h.orders(id, 0, 0, false)
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	r := h.runtime(id)
	if r.ArchivedTurn == nil || *r.ArchivedTurn != 2 || !slices.Equal(a.turns(id, 0), []int{0, 1, 2}) {
		t.Fatalf("archived turn %v, archive holds %v; want turn 2 and turns [0 1 2]", r.ArchivedTurn, a.turns(id, 0))
	}
	if err := h.store.View(ctx, func(tx orchestrator.Tx) error {
		j, err := tx.Journal(id, 0)
		if len(j) != 0 {
			t.Fatalf("journal %+v after turn 2 was archived, want empty", j)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// An archive that is down never stops turns: the game lags, and the reconciler catches
// it up once the archive is back.
func TestArchive_DownNeverStopsTurns(t *testing.T) {
	ctx := context.Background()
	h, a := MustOpenArchived(t)
	id := h.mustStart()
	a.setDown(true)
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	if r := h.runtime(id); r.CurrentTurn != 1 || r.ArchivedTurn == nil || *r.ArchivedTurn != 0 {
		t.Fatalf("with the archive down: turn %d archived %v, want turn 1 and only turn 0 archived", r.CurrentTurn, r.ArchivedTurn)
	}
	a.setDown(false)
	rep := h.reconcileWith(true)
	if rep.ArchiveLag != 1 || len(rep.Archived) != 1 {
		t.Fatalf("reconciler: lag %d archived %v, want 1 turn lagging and the game caught up", rep.ArchiveLag, rep.Archived)
	}
	h.waitIdle()
	if r := h.runtime(id); r.ArchivedTurn == nil || *r.ArchivedTurn != 1 {
		t.Fatalf("after the catch-up: archived %v, want 1", r.ArchivedTurn)
	}
}

// A start that finds no state for an initialised game restores the latest snapshot
// and submits the journalled orders again — it never inits again; with the archive
// lagging one turn, it generates that turn again (the engine is deterministic).
func TestArchive_RestoreInsteadOfStranding(t *testing.T) {
	ctx := context.Background()
	for _, lagging := range []bool{false, true} {
		name := map[bool]string{false: "archived", true: "lagging"}[lagging]
		t.Run(name, func(t *testing.T) {
			h, a := MustOpenArchived(t)
			id := h.mustStart()
			MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
			if lagging {
				h.orders(id, 0, 1, true) // turn 1's orders, consumed by turn 2...
				a.setDown(true)          // ...whose snapshot never reaches the archive
				MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
				a.setDown(false)
			}
			want := h.runtime(id).CurrentTurn
			h.orders(id, 1, want, false) // orders for the open turn
			e := h.driver.engine(id)
			inits, turnsBefore := e.calls()
			e.lose()
			MustSucceed(t, h.MustWait(h.svc.Restart(ctx, id, orchestrator.SourceAdmin)))
			r := h.runtime(id)
			st, _ := e.State(ctx)
			if r.Status != orchestrator.StatusRunning || r.CurrentTurn != want || st == nil || st.Turn != want || st.GameID != id {
				t.Fatalf("after the restore: status %s runtime turn %d engine %+v, want running at turn %d", r.Status, r.CurrentTurn, st, want)
			}
			if n, _ := e.calls(); n != inits {
				t.Fatalf("init called again (%d → %d): a restored game must never be initialised again", inits, n)
			}
			subs := e.submissions()
			wantSubs := 1
			if lagging {
				wantSubs = 2
				if _, turns := e.calls(); len(turns) != len(turnsBefore)+1 || turns[len(turns)-1] != want {
					t.Fatalf("engine turn calls %v, want turn %d generated again after the restore", turns, want)
				}
			}
			if len(subs) != wantSubs || !strings.HasPrefix(subs[len(subs)-1], "2/") && !strings.HasPrefix(subs[len(subs)-1], "1/") {
				t.Fatalf("orders submitted again: %q, want %d (the journal)", subs, wantSubs)
			}
		})
	}
}

// With no snapshot, a lost state fails the start loudly, as before the archive.
func TestArchive_NothingToRestore(t *testing.T) {
	ctx := context.Background()
	h, a := MustOpenArchived(t)
	id := h.mustStart()
	_ = a.Delete(ctx, id)
	h.driver.engine(id).lose()
	op := h.mustFail(h.svc.Restart(ctx, id, orchestrator.SourceAdmin))
	if !strings.Contains(op.ErrorMessage, "holds no snapshot") {
		t.Fatalf("restart without state or snapshot: %q, want it to say so", op.ErrorMessage)
	}
}

// A rollback restores an archived turn and the game goes on in a new line; the old
// line stays, so the rollback can be undone.
func TestArchive_RollbackAndUndo(t *testing.T) {
	ctx := context.Background()
	h, a := MustOpenArchived(t)
	id := h.mustStart()
	for i := 0; i < 3; i++ {
		MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	}
	op := h.MustWait(h.svc.Rollback(ctx, id, 1, nil, orchestrator.SourceAdmin))
	MustSucceed(t, op)
	r := h.runtime(id)
	st, _ := h.driver.engine(id).State(ctx)
	if r.CurrentTurn != 1 || r.ArchiveLine != 1 || st.Turn != 1 || op.Details.FromTurn != 3 {
		t.Fatalf("after rollback to 1: runtime turn %d line %d, engine turn %d, op from %d", r.CurrentTurn, r.ArchiveLine, st.Turn, op.Details.FromTurn)
	}
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	if got0, got1 := a.turns(id, 0), a.turns(id, 1); !slices.Equal(got0, []int{0, 1, 2, 3}) || !slices.Equal(got1, []int{1, 2}) {
		t.Fatalf("archive lines %v and %v, want the old line kept whole and the new one [1 2]", got0, got1)
	}
	zero := 0
	MustSucceed(t, h.MustWait(h.svc.Rollback(ctx, id, 3, &zero, orchestrator.SourceAdmin))) // undo
	if r := h.runtime(id); r.CurrentTurn != 3 || r.ArchiveLine != 2 {
		t.Fatalf("after undoing: turn %d line %d, want turn 3 on a third line", r.CurrentTurn, r.ArchiveLine)
	}
	if _, err := h.svc.Rollback(ctx, id, 7, nil, orchestrator.SourceAdmin); err != nil {
		t.Fatal(err)
	}
	h.waitIdle()
	ops, _ := h.svc.Operations(ctx, id, 1)
	if ops[0].Status != orchestrator.OpFailed || ops[0].ErrorCode != orchestrator.ENOTFOUND {
		t.Fatalf("rollback to a turn never archived: %s %s, want failed not_found", ops[0].Status, ops[0].ErrorCode)
	}
}

// A transfer archives the final snapshot, releases the old placement and restores the
// game elsewhere with its journalled orders; the outage is on the operation.
func TestArchive_Transfer(t *testing.T) {
	ctx := context.Background()
	h, _ := MustOpenArchived(t)
	id := h.mustStart()
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	h.orders(id, 0, 1, false)
	before := h.driver.engine(id)
	op := h.MustWait(h.svc.Transfer(ctx, id, "", orchestrator.SourceAdmin))
	MustSucceed(t, op)
	after := h.driver.engine(id)
	st, _ := after.State(ctx)
	if after == before || st == nil || st.Turn != 1 || len(after.submissions()) != 1 {
		t.Fatalf("after the transfer: a new engine %v, at turn %+v with %d orders, want a new engine at turn 1 with the journalled orders", after != before, st, len(after.submissions()))
	}
	if r := h.runtime(id); r.Status != orchestrator.StatusRunning || r.CurrentTurn != 1 {
		t.Fatalf("after the transfer: %s at turn %d", r.Status, r.CurrentTurn)
	}
	if op.Details.OutageMS < 0 || op.Details.Endpoint == "" {
		t.Fatalf("transfer details %+v, want the outage and the new endpoint", op.Details)
	}
}

// An engine of the first contract (no admin/snapshot) still plays with an archive
// configured: turns run, the runtime says its snapshots are unsupported, and neither
// the reconciler nor the idle pass keeps asking for what it cannot give.
func TestArchive_EngineWithoutSnapshots(t *testing.T) {
	ctx := context.Background()
	h, _ := MustOpenSleepy(t, false)
	g := h.MustCreate("0 0 1 1 *")
	h.driver.engine(g.ID).setOld(true)
	MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, g.ID, orchestrator.SourceAdmin)))
	r := h.runtime(g.ID)
	if r.CurrentTurn != 1 || r.ArchivedTurn != nil || !r.SnapshotsUnsupported {
		t.Fatalf("turn %d, archived %v, snapshots unsupported %v: want turn 1, nothing archived, and the runtime saying why", r.CurrentTurn, r.ArchivedTurn, r.SnapshotsUnsupported)
	}
	rep := h.reconcileWith(true)
	if rep.ArchiveLag != 0 || len(rep.Archived) != 0 {
		t.Fatalf("reconciler: lag %d, archived %v; want no catch-up asked of an engine without snapshots", rep.ArchiveLag, rep.Archived)
	}
	h.clock.Advance(30 * time.Minute) // idle far past Idle.After: three idle passes
	h.waitIdle()
	if n := h.opsOf(g.ID, orchestrator.OpSleep) + h.opsOf(g.ID, orchestrator.OpArchive); n != 0 {
		t.Fatalf("%d sleep or archive operations for an engine without snapshots, want none", n)
	}
	op := h.mustFail(h.svc.Sleep(ctx, g.ID, orchestrator.SourceAdmin))
	if op.ErrorCode != orchestrator.EUNAVAILABLE || !strings.Contains(op.ErrorMessage, "older engine contract") {
		t.Fatalf("sleep asked of it: %s %q, want unavailable naming the older contract", op.ErrorCode, op.ErrorMessage)
	}
}
