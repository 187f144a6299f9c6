package http

import (
	"net/http"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// OperationList is the body of GET /api/v1/games/{id}/operations, newest first.
type OperationList struct {
	Operations []*orchestrator.Operation `json:"operations"`
}

func (s *Server) handleListOperations(w http.ResponseWriter, r *http.Request) {
	id, err := pathUUID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	limit, err := queryLimit(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	ops, err := s.GameService.Operations(r.Context(), id, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if ops == nil {
		ops = []*orchestrator.Operation{}
	}
	writeJSON(w, http.StatusOK, OperationList{Operations: ops})
}

func (s *Server) handleGetOperation(w http.ResponseWriter, r *http.Request) {
	id, err := pathUUID(r, "operationId")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	op, err := s.GameService.Operation(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, op)
}
