package http

import (
	"encoding/json"
	"net/http"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// CommandRequest is the body of POST /api/v1/games/{id}/commands: an engine-defined
// command object, forwarded as is.
type CommandRequest struct {
	Command json.RawMessage `json:"command"`
}

// MaxPlayerBodyBytes bounds the body of the orders and commands routes: what an engine
// accepts (engine.MaxBodyBytes) less room for the envelope galaxyd wraps it in (actor,
// turn, final), so that an accepted body always fits the engine. galaxyd forwards
// orders without HTML escaping, so they do not grow on the way.
const MaxPlayerBodyBytes = engine.MaxBodyBytes - 4<<10

// limitPlayerBody applies MaxPlayerBodyBytes; it answers 413 and returns false for a
// declared oversize body.
func (s *Server) limitPlayerBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength > MaxPlayerBodyBytes {
		s.Error(w, r, tooLarge(MaxPlayerBodyBytes))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxPlayerBodyBytes)
	return true
}

// player resolves the game and user of a player route.
func player(r *http.Request) (gameID, user uuid.UUID, err error) {
	if gameID, err = pathUUID(r, "id"); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if user, err = userID(r); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return gameID, user, nil
}

// handleSubmitOrders forwards a player's orders; 200 with the engine's result.
func (s *Server) handleSubmitOrders(w http.ResponseWriter, r *http.Request) {
	gameID, user, err := player(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !s.limitPlayerBody(w, r) {
		return
	}
	var in orchestrator.OrdersInput
	if err := decode(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	res, err := s.PlayerService.SubmitOrders(r.Context(), gameID, user, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// handleCommand forwards an immediate command; 200 with the engine's answer.
func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	gameID, user, err := player(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !s.limitPlayerBody(w, r) {
		return
	}
	var in CommandRequest
	if err := decode(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if len(in.Command) == 0 || string(in.Command) == "null" {
		s.Error(w, r, &orchestrator.Error{Code: orchestrator.EINVALID, Field: "command", Message: "command is required"})
		return
	}
	out, err := s.PlayerService.Command(r.Context(), gameID, user, in.Command)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeRaw(w, r, out)
}

// handleReport returns one race's turn report; ?turn=N (absent: the last generated
// turn; 0 is turn 0).
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	gameID, user, err := player(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var q orchestrator.ReportQuery
	if r.URL.Query().Has("turn") {
		turn, err := queryInt(r, "turn", 0, 1<<30)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		q.Turn = &turn
	}
	switch f := r.URL.Query().Get("format"); f {
	case "", orchestrator.ReportJSON:
	case orchestrator.ReportText:
		q.Format = f
	default:
		s.Error(w, r, orchestrator.FieldErrorf("format", "format must be json or text"))
		return
	}
	out, err := s.PlayerService.Report(r.Context(), gameID, user, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if q.Format == orchestrator.ReportText {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
		return
	}
	s.writeRaw(w, r, out)
}

// writeRaw answers 200 with an engine's JSON as is; an empty answer becomes {} so the
// response is always JSON, and an answer that is not JSON is the engine's fault (502).
func (s *Server) writeRaw(w http.ResponseWriter, r *http.Request, b json.RawMessage) {
	if len(b) == 0 {
		b = json.RawMessage("{}")
	} else if !json.Valid(b) {
		s.Error(w, r, orchestrator.Errorf(orchestrator.EENGINE, "the engine answered with invalid JSON"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
