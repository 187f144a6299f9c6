package orchestrator_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// TestTransitions checks the table itself: a row for every action and status, codes
// that exist, no dead end.
func TestTransitions(t *testing.T) {
	if got, want := len(orchestrator.Statuses), 12; got != want {
		t.Fatalf("%d statuses; a status was added or removed: give it a row in every action, then update this count", got)
	}
	known := map[string]bool{}
	for _, s := range orchestrator.Statuses {
		known[s] = true
	}
	for _, act := range orchestrator.Actions {
		for _, s := range orchestrator.Statuses {
			tr := orchestrator.Transitions(act, s)
			if tr.Refused == orchestrator.EINTERNAL {
				t.Errorf("%s in %s: no row", act, s)
				continue
			}
			for _, next := range []string{tr.Queued, tr.Succeeded, tr.Failed, tr.Down} {
				if next != orchestrator.Keep && !known[next] {
					t.Errorf("%s in %s leads to unknown status %q", act, s, next)
				}
			}
		}
	}
	if tr := orchestrator.Transitions("teleport", orchestrator.StatusRunning); tr.Allowed() {
		t.Error("an unknown action is allowed")
	}
	// No dead end: from every status but removed, some action other than remove leads
	// to another status without deleting the game's state.
	for _, s := range orchestrator.Statuses {
		if s == orchestrator.StatusRemoved {
			continue
		}
		out := false
		for _, act := range orchestrator.Actions {
			tr := orchestrator.Transitions(act, s)
			if act == orchestrator.ActRemove || !tr.Allowed() {
				continue
			}
			for _, next := range []string{tr.Queued, tr.Succeeded} {
				if next != orchestrator.Keep && next != s {
					out = true
				}
			}
		}
		if !out && s != orchestrator.StatusFinished && s != orchestrator.StatusCreated {
			t.Errorf("status %s is a dead end", s)
		}
	}
}

// TestTransitions_Service checks that the service asks the table, cell by cell: each
// action is refused exactly where the table refuses it, with the table's code.
func TestTransitions_Service(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarnessWith(t, t0, func(s *orchestrator.Config) { s.QueueSize = 1000; s.Archive = newMemArchive() })
	h.MustCreate("0 0 1 1 *")
	h.mustVersion("1.0.1")
	// Operations are refused or accepted before a worker runs them; a driver that
	// never answers keeps accepted ones from changing the status under the test.
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	h.driver.setStartFn(func(orchestrator.EngineSpec) error { <-block; return nil })
	h.driver.setStopFn(func(uuid.UUID) error { <-block; return nil })

	actions := map[orchestrator.Action]func(id uuid.UUID) error{
		orchestrator.ActStart: func(id uuid.UUID) error { _, err := h.svc.Start(ctx, id, orchestrator.SourceLobby); return err },
		orchestrator.ActStop:  func(id uuid.UUID) error { _, err := h.svc.Stop(ctx, id, orchestrator.SourceLobby); return err },
		orchestrator.ActPause: func(id uuid.UUID) error { _, err := h.svc.Pause(ctx, id, orchestrator.SourceLobby); return err },
		orchestrator.ActResume: func(id uuid.UUID) error {
			_, err := h.svc.Resume(ctx, id, orchestrator.SourceLobby)
			return err
		},
		orchestrator.ActRestart: func(id uuid.UUID) error { _, err := h.svc.Restart(ctx, id, orchestrator.SourceAdmin); return err },
		orchestrator.ActPatch: func(id uuid.UUID) error {
			_, err := h.svc.Patch(ctx, id, "1.0.1", orchestrator.SourceAdmin)
			return err
		},
		orchestrator.ActForceNextTurn: func(id uuid.UUID) error {
			_, err := h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)
			return err
		},
		orchestrator.ActRemove: func(id uuid.UUID) error { _, err := h.svc.Remove(ctx, id, orchestrator.SourceAdmin); return err },
		orchestrator.ActEnsure: func(id uuid.UUID) error { _, err := h.svc.Ensure(ctx, id); return err },
		orchestrator.ActHalt:   func(id uuid.UUID) error { _, err := h.svc.Halt(ctx, id, false); return err },
		orchestrator.ActRefresh: func(id uuid.UUID) error {
			_, err := h.svc.Refresh(ctx, id, &orchestrator.Instance{GameID: id})
			return err
		},
		orchestrator.ActArchive: func(id uuid.UUID) error { _, err := h.svc.ArchiveNow(ctx, id); return err },
		orchestrator.ActRollback: func(id uuid.UUID) error {
			_, err := h.svc.Rollback(ctx, id, 0, nil, orchestrator.SourceAdmin)
			return err
		},
		orchestrator.ActSleep: func(id uuid.UUID) error { _, err := h.svc.Sleep(ctx, id, orchestrator.SourceAdmin); return err },
		orchestrator.ActWake:  func(id uuid.UUID) error { _, err := h.svc.Wake(ctx, id, orchestrator.SourceAdmin); return err },
		orchestrator.ActTransfer: func(id uuid.UUID) error {
			_, err := h.svc.Transfer(ctx, id, "", orchestrator.SourceAdmin)
			return err
		},
	}
	for _, act := range orchestrator.Actions {
		call, ok := actions[act]
		if !ok {
			continue // the scheduler's turn: covered by TestService_Turns
		}
		for _, status := range orchestrator.Statuses {
			id := h.MustCreate("0 0 1 1 *").ID
			if err := h.store.Update(ctx, func(tx orchestrator.Tx) error {
				r, err := tx.Runtime(id)
				if err != nil {
					return err
				}
				r.Status, r.Initialized = status, status != orchestrator.StatusCreated
				return tx.PutRuntime(r)
			}); err != nil {
				t.Fatal(err)
			}
			want := orchestrator.Transitions(act, status)
			err := call(id)
			if got := orchestrator.ErrorCode(err); got != want.Refused {
				t.Errorf("%s in %s: code %q (%v), want %q (%s)", act, status, got, err, want.Refused, want)
			}
		}
	}
}

// TestTransitions_README checks that the README's lifecycle table is the table.
func TestTransitions_README(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- transitions:begin -->\n", "<!-- transitions:end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	want := transitionsMarkdown()
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q section; it should hold:\n%s", strings.TrimSpace(begin), end, want)
	}
	if got := s[i+len(begin) : j]; got != want {
		t.Fatalf("README.md's transition table is out of date; it should be:\n%s", want)
	}
}

// transitionsMarkdown renders the table: a row per action, a column per status; a
// cell is "queued → succeeded / failed" ("=" keeps the status), or the refusing code.
func transitionsMarkdown() string {
	short := map[string]string{}
	var b strings.Builder
	b.WriteString("| action |")
	for _, s := range orchestrator.Statuses {
		short[s] = s
		b.WriteString(" " + s + " |")
	}
	b.WriteString("\n|---|")
	for range orchestrator.Statuses {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	name := func(s string) string {
		if s == orchestrator.Keep {
			return "="
		}
		return short[s]
	}
	for _, act := range orchestrator.Actions {
		b.WriteString("| **" + string(act) + "** |")
		for _, s := range orchestrator.Statuses {
			tr := orchestrator.Transitions(act, s)
			switch {
			case !tr.Allowed():
				b.WriteString(" ✗ " + tr.Refused + " |")
			case tr.Queued == orchestrator.Keep && tr.Succeeded == orchestrator.Keep && tr.Failed == orchestrator.Keep:
				b.WriteString(" = |")
			default:
				cell := name(tr.Queued) + " → " + name(tr.Succeeded) + " / " + name(tr.Failed)
				if tr.Down != orchestrator.Keep {
					cell += " (down: " + name(tr.Down) + ")"
				}
				b.WriteString(" " + cell + " |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
