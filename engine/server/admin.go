package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/engine/game"
	"github.com/google/uuid"
)

// handleHealthz answers 200 once the server exists, which is after state.json loaded.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	initialized, turn := s.game != nil, 0
	if initialized {
		turn = s.game.Turn
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "initialized": initialized, "turn": turn})
}

// handleSettingsSchema answers the JSON Schema of the settings admin/init accepts. It
// needs no token: it is the same for every game and not secret.
func (s *Server) handleSettingsSchema(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/schema+json")
	w.WriteHeader(http.StatusOK)
	w.Write(game.SettingsSchema)
}

// initBody is admin/init's body with the game id as a string, so that a malformed id
// gets its own message rather than a decoder error, and the settings raw, so that
// their numbers are read exactly (see game.ParseSettings).
type initBody struct {
	GameID   *string         `json:"gameId"`
	Races    []engine.Race   `json:"races"`
	Settings json.RawMessage `json:"settings"`
}

// handleInit creates the game: 201 with its state, 400 for a bad request, 409 when a
// state.json exists — whatever its gameId, so a re-init never replaces a game.
func (s *Server) handleInit(w http.ResponseWriter, r *http.Request) {
	var b initBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.GameID == nil || *b.GameID == "" {
		writeFieldError(w, "gameId", "gameId is required", "required")
		return
	}
	id, err := uuid.Parse(*b.GameID)
	if err != nil || id == uuid.Nil {
		writeFieldError(w, "gameId", "gameId must be a non-zero UUID", "must be a non-zero UUID")
		return
	}
	var raw map[string]any
	if len(b.Settings) > 0 {
		dec := json.NewDecoder(bytes.NewReader(b.Settings))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			writeFieldError(w, "settings", "settings must be a JSON object", "must be an object")
			return
		}
	}
	settings, err := game.ParseSettings(raw)
	if err != nil {
		writeGameError(w, err)
		return
	}
	if !settings.HasSeed {
		settings.Seed = randomSeed()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.game != nil || s.store.Exists() {
		cur := "another game"
		if s.game != nil {
			cur = "game " + s.game.ID.String()
		}
		writeError(w, http.StatusConflict, engine.CodeConflict, "already initialised: state.json holds "+cur, nil)
		return
	}
	g, err := game.New(id, b.Races, settings)
	if err != nil {
		writeGameError(w, err)
		return
	}
	s.game = g
	if err := s.commit(); err != nil {
		writeError(w, http.StatusInternalServerError, engine.CodeInternal, "cannot write state.json", nil)
		return
	}
	s.recordTurn()
	s.logger.Info("game created", "game_id", g.ID, "races", len(g.Races), "planets", len(g.Planets), "seed", g.Seed)
	writeJSON(w, http.StatusCreated, g.State())
}

// handleState answers the game's state, 404 before init.
func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.game == nil {
		writeNoGame(w)
		return
	}
	writeJSON(w, http.StatusOK, s.game.State())
}

// handleTurn generates the asked turn (see game.Generate): 200 with the state, also
// when the turn was already generated; 409 naming the current turn otherwise.
func (s *Server) handleTurn(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Turn *int `json:"turn"`
	}
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Turn == nil || *b.Turn < 0 {
		writeFieldError(w, "turn", "turn is required and must not be negative", "required, >= 0")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.game == nil {
		writeNoGame(w)
		return
	}
	start := time.Now()
	generated, err := s.game.Generate(*b.Turn)
	if err != nil {
		writeGameError(w, err)
		return
	}
	if generated {
		if err := s.commit(); err != nil {
			writeError(w, http.StatusInternalServerError, engine.CodeInternal, "cannot write state.json; the turn was not generated", nil)
			return
		}
		s.recordTurn()
		s.logger.Info("turn generated", "game_id", s.game.ID, "turn", s.game.Turn, "finished", s.game.Finished, "duration", time.Since(start))
	}
	writeJSON(w, http.StatusOK, s.game.State())
}

// recordTurn records the just-saved state in the turn history. A failure only costs
// the report of that turn once it is past, so it is logged, not returned.
func (s *Server) recordTurn() {
	if err := s.store.SaveTurn(s.game.Turn, s.saved); err != nil {
		s.logger.Warn("cannot record turn", "turn", s.game.Turn, "err", err)
	}
}

// writeNoGame is the answer of every game route before init: 404 not_initialised,
// which tells "no game yet" apart from "no such route" (not_found).
func writeNoGame(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, engine.CodeNotInitialised, "no game: call admin/init or admin/restore first", nil)
}
