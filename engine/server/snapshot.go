package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// handleSnapshot answers the whole game as one engine.Snapshot document: its state is
// state.json byte for byte; with reports=true every race's report of the current turn
// is added. The ETag header is the quoted hex SHA-256 of the body. 404 before init.
func (s *Server) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	withReports, ok := boolParam(w, r, "reports")
	if !ok {
		return
	}
	s.mu.Lock()
	if s.game == nil {
		s.mu.Unlock()
		writeNoGame(w)
		return
	}
	doc := engine.Snapshot{
		SchemaVersion: engine.SnapshotSchemaVersion,
		GameID:        s.game.ID,
		Turn:          s.game.Turn,
		Finished:      s.game.Finished,
		State:         s.saved,
	}
	var err error
	if withReports {
		doc.Reports, err = s.reports()
	}
	var body []byte
	if err == nil {
		body, err = json.Marshal(doc)
	}
	s.mu.Unlock()
	if err != nil {
		s.logger.Error("cannot encode the snapshot", "err", err)
		writeError(w, http.StatusInternalServerError, engine.CodeInternal, "cannot encode the snapshot", nil)
		return
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// reports encodes every race's report of the current turn, as GET /api/v1/report
// answers it. The caller holds s.mu.
func (s *Server) reports() (map[uuid.UUID]json.RawMessage, error) {
	out := make(map[uuid.UUID]json.RawMessage, len(s.game.Races))
	for _, r := range s.game.Races {
		rep, err := s.game.Report(r.ID)
		if err != nil {
			return nil, err
		}
		if out[r.ID], err = json.Marshal(rep); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// restoreBody is a snapshot document as admin/restore reads it: pointers tell missing
// fields apart, the id is a string so that a malformed one gets its own message, and
// the reports (derived data) are not decoded at all.
type restoreBody struct {
	SchemaVersion *int            `json:"schemaVersion"`
	GameID        *string         `json:"gameId"`
	Turn          *int            `json:"turn"`
	Finished      *bool           `json:"finished"`
	State         json.RawMessage `json:"state"`
}

// handleRestore replaces the engine's game with a snapshot's: 201 when the engine had
// none, 200 when replace=true replaced the game of the same gameId (409 for another
// game, or for any game without replace), 400 naming the field for a bad document.
// state.json is written atomically; the restored turn is recorded in the turn history
// so that its report works, and every recorded turn after it is removed (a rollback
// must not serve the reports of turns that no longer happened).
func (s *Server) handleRestore(w http.ResponseWriter, r *http.Request) {
	replace, ok := boolParam(w, r, "replace")
	if !ok {
		return
	}
	var b restoreBody
	if !decodeBodyLimit(w, r, &b, engine.MaxRestoreBytes) {
		return
	}
	switch {
	case b.SchemaVersion == nil:
		writeFieldError(w, "schemaVersion", "schemaVersion is required", "required")
		return
	case *b.SchemaVersion != engine.SnapshotSchemaVersion:
		writeFieldError(w, "schemaVersion", fmt.Sprintf("unknown schemaVersion %d; this engine reads snapshots of schemaVersion %d", *b.SchemaVersion, engine.SnapshotSchemaVersion),
			"must be "+strconv.Itoa(engine.SnapshotSchemaVersion))
		return
	case b.GameID == nil || *b.GameID == "":
		writeFieldError(w, "gameId", "gameId is required", "required")
		return
	}
	id, err := uuid.Parse(*b.GameID)
	if err != nil || id == uuid.Nil {
		writeFieldError(w, "gameId", "gameId must be a non-zero UUID", "must be a non-zero UUID")
		return
	}
	switch {
	case b.Turn == nil || *b.Turn < 0:
		writeFieldError(w, "turn", "turn is required and must not be negative", "required, >= 0")
		return
	case len(b.State) == 0 || string(b.State) == "null":
		writeFieldError(w, "state", "state is required", "required")
		return
	}
	g, err := decodeGame(b.State)
	if err != nil {
		writeFieldError(w, "state", "state is not a valid game state: "+err.Error(), err.Error())
		return
	}
	switch {
	case g.ID != id:
		writeFieldError(w, "state.gameId", fmt.Sprintf("the state is of game %s, the snapshot says %s", g.ID, id), "must equal gameId")
		return
	case g.Turn != *b.Turn:
		writeFieldError(w, "state.turn", fmt.Sprintf("the state is at turn %d, the snapshot says %d", g.Turn, *b.Turn), "must equal turn")
		return
	case b.Finished != nil && g.Finished != *b.Finished:
		writeFieldError(w, "state.finished", fmt.Sprintf("the state says finished=%v, the snapshot says %v", g.Finished, *b.Finished), "must equal finished")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	had := s.game != nil || s.store.Exists()
	switch {
	case had && !replace:
		cur := "another game"
		if s.game != nil {
			cur = "game " + s.game.ID.String()
		}
		writeError(w, http.StatusConflict, engine.CodeConflict, "already initialised: state.json holds "+cur+"; replace=true replaces it with a snapshot of the same game", nil)
		return
	case had && s.game == nil: // state.json appeared behind the engine's back
		writeError(w, http.StatusConflict, engine.CodeConflict, "state.json exists but was not loaded by this engine; restart it first", nil)
		return
	case had && s.game.ID != id:
		writeError(w, http.StatusConflict, engine.CodeConflict,
			fmt.Sprintf("the snapshot is of game %s but this engine holds game %s; replace only restores a snapshot of the same game", id, s.game.ID), nil)
		return
	}
	from := -1
	if s.game != nil {
		from = s.game.Turn
	}
	s.game = g
	if err := s.commit(); err != nil {
		writeError(w, http.StatusInternalServerError, engine.CodeInternal, "cannot write state.json; nothing was restored", nil)
		return
	}
	s.recordTurn()
	if err := s.store.PruneTurns(g.Turn); err != nil {
		// Repaired at the next start; until then the reports of those turns are
		// refused anyway, as they are after the current turn.
		s.logger.Warn("cannot remove the history of turns after the restored one", "turn", g.Turn, "err", err)
	}
	status := http.StatusCreated
	if had {
		status = http.StatusOK
	}
	s.logger.Info("game restored", "game_id", g.ID, "turn", g.Turn, "replaced_turn", from, "finished", g.Finished)
	writeJSON(w, status, g.State())
}

// boolParam reads the optional boolean query parameter name ("true", "false", "1", "0";
// absent or empty is false). A bad value is answered with a 400 naming it.
func boolParam(w http.ResponseWriter, r *http.Request, name string) (bool, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, true
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		writeFieldError(w, name, name+" must be true or false", "true or false")
		return false, false
	}
	return b, true
}
