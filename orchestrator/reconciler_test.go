package orchestrator_test

import (
	"context"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestReconciler(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	lost := h.MustCreate("0 * * * *").ID
	stopped := h.MustCreate("0 * * * *").ID
	moved := h.MustCreate("0 * * * *").ID
	for _, id := range []uuid.UUID{lost, stopped, moved} {
		MustSucceed(t, h.MustWait(h.svc.Start(ctx, id, orchestrator.SourceLobby)))
	}
	MustSucceed(t, h.MustWait(h.svc.Stop(ctx, stopped, orchestrator.SourceLobby)))
	orphan := uuid.New()
	h.driver.mu.Lock()
	h.driver.running[lost] = false   // the engine died behind our back
	h.driver.running[stopped] = true // someone started it by hand
	h.driver.running[orphan] = true  // no game claims this one
	h.driver.mu.Unlock()

	rc := orchestrator.NewReconciler(h.disk, h.driver, h.svc)
	rc.Clock = h.clock
	rep, err := rc.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Restarted) != 1 || rep.Restarted[0] != lost {
		t.Fatalf("restarted %v, want [%s]", rep.Restarted, lost)
	}
	if len(rep.Stopped) != 1 || rep.Stopped[0] != stopped {
		t.Fatalf("stopped %v, want [%s]", rep.Stopped, stopped)
	}
	if len(rep.Orphans) != 1 || rep.Orphans[0].GameID != orphan || rep.OrphansRemoved != 0 {
		t.Fatalf("orphans %v removed %d, want [%s] reported and kept", rep.Orphans, rep.OrphansRemoved, orphan)
	}
	if rc.LastReconcile() != rep {
		t.Fatal("LastReconcile does not return the last report")
	}
	clocktest.WaitFor(t, "lost engine back", func() bool {
		ep, err := h.driver.Endpoint(ctx, lost)
		return err == nil && ep != ""
	})
	ops, err := h.svc.Operations(ctx, lost, 1)
	if err != nil || ops[0].Source != orchestrator.SourceReconciler || ops[0].Op != orchestrator.OpStart {
		t.Fatalf("last op of the lost game %+v (%v), want a start from the reconciler", ops[0], err)
	}
	h.MustWait(ops[0], nil)

	rc.RemoveOrphans = true
	rep, err = rc.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OrphansRemoved != 1 || len(rep.Restarted)+len(rep.Stopped) != 0 {
		t.Fatalf("second pass: %+v, want only the orphan removed", rep)
	}
	// The removal is an operation of the reconciler's, logged under the orphan's ID.
	var removal []*orchestrator.Operation
	clocktest.WaitFor(t, "orphan's removal", func() bool {
		_ = h.store.View(ctx, func(tx orchestrator.Tx) (err error) {
			removal, err = tx.GameOperations(orphan, 0)
			return err
		})
		return len(removal) == 1 && removal[0].Done()
	})
	if op := removal[0]; op.Op != orchestrator.OpRemove || op.Source != orchestrator.SourceReconciler || op.Status != orchestrator.OpSucceeded {
		t.Fatalf("orphan's operation %+v, want a succeeded remove from the reconciler", op)
	}
	if insts, _ := h.driver.Instances(ctx); len(insts) != 3 {
		t.Fatalf("%d instances left, want 3 (orphan gone)", len(insts))
	}
}
