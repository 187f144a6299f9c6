package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// ordersBody is the orders route's body, with pointers to tell missing fields apart.
type ordersBody struct {
	Actor  *uuid.UUID        `json:"actor"`
	Turn   *int              `json:"turn"`
	Orders []json.RawMessage `json:"orders"`
	Final  bool              `json:"final"`
}

// handleOrders replaces a race's orders for the open turn (see game.SetOrders).
func (s *Server) handleOrders(w http.ResponseWriter, r *http.Request) {
	var b ordersBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Actor == nil || *b.Actor == uuid.Nil {
		writeFieldError(w, "actor", "actor is required", "required, a non-zero UUID")
		return
	}
	if b.Turn == nil {
		writeFieldError(w, "turn", "turn is required", "required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.game == nil {
		writeNoGame(w)
		return
	}
	n, err := s.game.SetOrders(*b.Actor, *b.Turn, b.Orders, b.Final)
	if err != nil {
		writeGameError(w, err)
		return
	}
	if err := s.commit(); err != nil {
		writeError(w, http.StatusInternalServerError, engine.CodeInternal, "cannot write state.json; the orders were not stored", nil)
		return
	}
	writeJSON(w, http.StatusOK, engine.OrdersResult{Turn: s.game.Turn, Accepted: n, Final: b.Final, AllFinal: s.game.AllFinal()})
}

// handleCommands runs an immediate command (see game.Command).
func (s *Server) handleCommands(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Actor   *uuid.UUID      `json:"actor"`
		Command json.RawMessage `json:"command"`
	}
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Actor == nil || *b.Actor == uuid.Nil {
		writeFieldError(w, "actor", "actor is required", "required, a non-zero UUID")
		return
	}
	if len(b.Command) == 0 || string(b.Command) == "null" {
		writeFieldError(w, "command", "command is required", "required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.game == nil {
		writeNoGame(w)
		return
	}
	res, err := s.game.Command(*b.Actor, b.Command)
	if err != nil {
		writeGameError(w, err)
		return
	}
	if err := s.commit(); err != nil {
		writeError(w, http.StatusInternalServerError, engine.CodeInternal, "cannot write state.json; the command was not applied", nil)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// handleReport answers one race's report of a turn: the latest (current) turn when
// turn is omitted or empty, turn 0 for turn=0; as JSON, or with format=text as plain
// text in GalaxyNG's layout. 404 no_report for a turn that has no
// report (negative, future, or whose recorded state is gone, e.g. before a restore),
// 403 for an actor who is not a race, 400 for a turn that is not an integer.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	actor, err := uuid.Parse(q.Get("actor"))
	if err != nil || actor == uuid.Nil {
		writeFieldError(w, "actor", "actor must be a non-zero UUID", "required, a non-zero UUID")
		return
	}
	var text bool
	switch q.Get("format") {
	case "", "json":
	case "text":
		text = true
	default:
		writeFieldError(w, "format", "format must be json or text", "json or text")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.game == nil {
		writeNoGame(w)
		return
	}
	turn := s.game.Turn
	if t := q.Get("turn"); t != "" {
		if turn, err = strconv.Atoi(t); err != nil {
			writeFieldError(w, "turn", "turn must be an integer", "an integer")
			return
		}
	}
	g := s.game
	if !g.HasRace(actor) { // 403 whatever the turn
		writeError(w, http.StatusForbidden, engine.CodeForbidden, fmt.Sprintf("actor %s is not a race of this game", actor), nil)
		return
	}
	if turn < 0 || turn > g.Turn {
		writeError(w, http.StatusNotFound, engine.CodeNoReport, fmt.Sprintf("no report for turn %d; the current turn is %d", turn, g.Turn), nil)
		return
	}
	if turn != g.Turn {
		if g, err = s.store.LoadTurn(turn); err != nil || g.ID != s.game.ID || g.Turn != turn {
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				s.logger.Warn("unreadable turn history", "turn", turn, "err", err)
			}
			writeError(w, http.StatusNotFound, engine.CodeNoReport, fmt.Sprintf("no report for turn %d: this engine no longer has that turn's state", turn), nil)
			return
		}
	}
	rep, err := g.Report(actor)
	if err != nil {
		writeGameError(w, err)
		return
	}
	if text {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, rep.Text())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
