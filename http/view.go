package http

import (
	"net/http"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// TurnFiguresList is the body of GET /api/v1/games/{id}/turns.
type TurnFiguresList struct {
	Turns []*orchestrator.TurnFigures `json:"turns"`
}

// handleTurnFigures answers the races' figures turn by turn (lobby): the console's
// charts.
func (s *Server) handleTurnFigures(w http.ResponseWriter, r *http.Request) {
	if s.ViewService == nil {
		s.handleNotFound(w, r)
		return
	}
	id, err := pathUUID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	turns, err := s.ViewService.TurnFigures(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if turns == nil {
		turns = []*orchestrator.TurnFigures{}
	}
	writeJSON(w, http.StatusOK, TurnFiguresList{Turns: turns})
}

// handleEngineState answers the engine's whole state (admin): the game master's view
// of the galaxy, as the engine keeps it.
func (s *Server) handleEngineState(w http.ResponseWriter, r *http.Request) {
	if s.ViewService == nil {
		s.handleNotFound(w, r)
		return
	}
	id, err := pathUUID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	state, err := s.ViewService.EngineState(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeRaw(w, r, state)
}
