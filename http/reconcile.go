package http

import (
	"net/http"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// handleRunReconcile runs a reconciliation pass now and answers its report.
func (s *Server) handleRunReconcile(w http.ResponseWriter, r *http.Request) {
	if s.ReconcileService == nil {
		s.Error(w, r, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "no reconciler is configured"))
		return
	}
	rep, err := s.ReconcileService.Reconcile(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// handleGetReconcile answers the last pass's report; 404 before the first pass.
func (s *Server) handleGetReconcile(w http.ResponseWriter, r *http.Request) {
	if s.ReconcileService == nil {
		s.Error(w, r, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "no reconciler is configured"))
		return
	}
	rep := s.ReconcileService.LastReconcile()
	if rep == nil {
		s.Error(w, r, orchestrator.Errorf(orchestrator.ENOTFOUND, "no reconciliation has run yet; POST /api/v1/reconcile runs one"))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
