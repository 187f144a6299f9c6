package http_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestReconcile(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		lost := uuid.New()
		var last *orchestrator.ReconcileReport
		s.ReconcileService.ReconcileFn = func(context.Context) (*orchestrator.ReconcileReport, error) {
			last = &orchestrator.ReconcileReport{Games: 3, Restarted: []uuid.UUID{lost}}
			return last, nil
		}
		s.ReconcileService.LastReconcileFn = func() *orchestrator.ReconcileReport { return last }
		resp, body := s.Do(t, "POST", "/api/v1/reconcile", nil)
		MustStatus(t, resp, body, http.StatusOK)
		rep := MustUnmarshal[orchestrator.ReconcileReport](t, body)
		if rep.Games != 3 || len(rep.Restarted) != 1 || rep.Restarted[0] != lost {
			t.Fatalf("report: got %s", body)
		}
		resp, body = s.Do(t, "GET", "/api/v1/reconcile", nil)
		MustStatus(t, resp, body, http.StatusOK)
		if got := MustUnmarshal[orchestrator.ReconcileReport](t, body); got.Games != 3 {
			t.Fatalf("last report: got %s", body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenServer(t)
		s.ReconcileService.LastReconcileFn = func() *orchestrator.ReconcileReport { return nil }
		resp, body := s.Do(t, "GET", "/api/v1/reconcile", nil)
		MustError(t, resp, body, http.StatusNotFound, "not_found", "")
	})
	t.Run("ErrUnavailable", func(t *testing.T) {
		s := MustOpenServer(t)
		s.ReconcileService.ReconcileFn = func(context.Context) (*orchestrator.ReconcileReport, error) {
			return nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "the driver cannot list engines")
		}
		resp, body := s.Do(t, "POST", "/api/v1/reconcile", nil)
		MustError(t, resp, body, http.StatusServiceUnavailable, "unavailable", "")
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, body := MustDo(t, s.Request(t, "POST", "/api/v1/reconcile", LobbyToken, nil))
		MustError(t, resp, body, http.StatusForbidden, "forbidden", "")
	})
}
