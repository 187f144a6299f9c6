package http

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// IdempotencyKeyHeader makes POST /api/v1/games safe to retry: the same key with the
// same body returns the first game (200 instead of 201); the same key with another
// body is a 409.
const IdempotencyKeyHeader = "Idempotency-Key"

// MaxIdempotencyKeyLen bounds the Idempotency-Key header.
const MaxIdempotencyKeyLen = 200

// GameList is the body of GET /api/v1/games: a page of games and, when more may
// follow, the cursor of the next page ("next"; pass it as after=). A filtered page may
// hold fewer than limit games while more follow.
type GameList = orchestrator.GamePage

// handleCreateGame answers 201 with the new game, or 200 with the first game when the
// Idempotency-Key replays an earlier create; Location names the game either way.
func (s *Server) handleCreateGame(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get(IdempotencyKeyHeader)
	if !validIdempotencyKey(key) {
		s.Error(w, r, &orchestrator.Error{Code: orchestrator.EINVALID, Field: IdempotencyKeyHeader,
			Message: "the Idempotency-Key header must be at most 200 visible ASCII characters"})
		return
	}
	var in orchestrator.GameInput
	if err := decode(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	v, created, err := s.GameService.CreateGame(r.Context(), in, key)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.requestLogger(r).Info("game created", "game_id", v.ID, "source", source(r))
	}
	w.Header().Set("Location", "/api/v1/games/"+v.ID.String())
	writeJSON(w, status, v)
}

func validIdempotencyKey(k string) bool {
	if len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for _, c := range []byte(k) {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// handleListGames lists games in ID order: ?status=, ?paused=true|false and ?node=
// filter, ?limit= (default 100, at most 1000) and ?after=<id> page; the answer's next
// is the following page's after.
func (s *Server) handleListGames(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := orchestrator.GameFilter{Status: q.Get("status"), Node: q.Get("node")}
	if f.Status != "" && !slices.Contains(orchestrator.Statuses, f.Status) {
		s.Error(w, r, &orchestrator.Error{Code: orchestrator.EINVALID, Field: "status", Message: "unknown runtime status " + quote(f.Status)})
		return
	}
	if p := q.Get("paused"); p != "" {
		b, err := strconv.ParseBool(p)
		if err != nil {
			s.Error(w, r, &orchestrator.Error{Code: orchestrator.EINVALID, Field: "paused", Message: "paused must be true or false"})
			return
		}
		f.Paused = &b
	}
	if len(f.Node) > 200 {
		s.Error(w, r, &orchestrator.Error{Code: orchestrator.EINVALID, Field: "node", Message: "node must be at most 200 characters"})
		return
	}
	var err error
	if f.Limit, err = queryLimit(r); err != nil {
		s.Error(w, r, err)
		return
	}
	if a := q.Get("after"); a != "" {
		if f.After, err = uuid.Parse(a); err != nil {
			s.Error(w, r, &orchestrator.Error{Code: orchestrator.EINVALID, Field: "after", Message: "after must be a game UUID"})
			return
		}
	}
	page, err := s.GameService.Games(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if page.Games == nil {
		page.Games = []*orchestrator.GameView{}
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleGetGame(w http.ResponseWriter, r *http.Request) {
	id, err := pathUUID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.GameService.Game(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// gameOp is the shape of every lifecycle call that queues an operation.
type gameOp func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error)

// handleOp runs a queueing lifecycle call and answers 202 with the operation and its
// Location, where the caller polls until the operation is done.
func (s *Server) handleOp(w http.ResponseWriter, r *http.Request, call gameOp) {
	id, err := pathUUID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	op, err := call(s, r, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.requestLogger(r).Info("operation queued", "game_id", id, "operation_id", op.ID, "op", op.Op, "source", op.Source)
	w.Header().Set("Location", "/api/v1/operations/"+op.ID.String())
	writeJSON(w, http.StatusAccepted, op)
}

func (s *Server) handleStart(w http.ResponseWriter, r *http.Request) {
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		return s.GameService.Start(r.Context(), id, source(r))
	})
}

func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		return s.GameService.Stop(r.Context(), id, source(r))
	})
}

func (s *Server) handleRestart(w http.ResponseWriter, r *http.Request) {
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		return s.GameService.Restart(r.Context(), id, source(r))
	})
}

func (s *Server) handleSleep(w http.ResponseWriter, r *http.Request) {
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		return s.GameService.Sleep(r.Context(), id, source(r))
	})
}

func (s *Server) handleWake(w http.ResponseWriter, r *http.Request) {
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		return s.GameService.Wake(r.Context(), id, source(r))
	})
}

func (s *Server) handleForceNextTurn(w http.ResponseWriter, r *http.Request) {
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		return s.GameService.ForceNextTurn(r.Context(), id, source(r))
	})
}

func (s *Server) handleRemoveGame(w http.ResponseWriter, r *http.Request) {
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		return s.GameService.Remove(r.Context(), id, source(r))
	})
}

// PatchRequest is the body of POST /api/v1/games/{id}/patch.
type PatchRequest struct {
	Version string `json:"version"`
}

func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request) {
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		var in PatchRequest
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		if _, err := orchestrator.ParseVersion(in.Version); err != nil {
			return nil, err
		}
		return s.GameService.Patch(r.Context(), id, in.Version, source(r))
	})
}

func (s *Server) handlePause(w http.ResponseWriter, r *http.Request) {
	s.handlePaused(w, r, s.GameService.Pause)
}

func (s *Server) handleResume(w http.ResponseWriter, r *http.Request) {
	s.handlePaused(w, r, s.GameService.Resume)
}

// handlePaused flips the paused flag, which is synchronous: 200 with the game.
func (s *Server) handlePaused(w http.ResponseWriter, r *http.Request,
	call func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.GameView, error)) {
	id, err := pathUUID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := call(r.Context(), id, source(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// quote renders user input for a message, bounded so an error cannot echo megabytes.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}
