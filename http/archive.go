package http

import (
	"net/http"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// RollbackRequest is the body of POST /api/v1/games/{id}/rollback: the archived turn
// to go back to, on a history line (absent: the game's current line; an older line
// undoes a rollback).
type RollbackRequest struct {
	Turn *int `json:"turn"`
	Line *int `json:"line,omitempty"`
}

// TransferRequest is the body of POST /api/v1/games/{id}/transfer (optional): the node
// to move to (absent: any other node).
type TransferRequest struct {
	Node string `json:"node,omitempty"`
}

// MaxImportBytes bounds an imported game's archive (a tar of its snapshots).
const MaxImportBytes = 1 << 30

func (s *Server) archiveService(w http.ResponseWriter, r *http.Request) bool {
	if s.ArchiveService == nil {
		s.Error(w, r, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "no archive is configured"))
		return false
	}
	return true
}

func (s *Server) handleRollback(w http.ResponseWriter, r *http.Request) {
	if !s.archiveService(w, r) {
		return
	}
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		var in RollbackRequest
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		if in.Turn == nil {
			return nil, orchestrator.FieldErrorf("turn", "turn is required: the archived turn to go back to")
		}
		return s.ArchiveService.Rollback(r.Context(), id, *in.Turn, in.Line, source(r))
	})
}

func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request) {
	if !s.archiveService(w, r) {
		return
	}
	s.handleOp(w, r, func(s *Server, r *http.Request, id uuid.UUID) (*orchestrator.Operation, error) {
		var in TransferRequest
		if hasBody(r) {
			if err := decode(r, &in); err != nil {
				return nil, err
			}
		}
		return s.ArchiveService.Transfer(r.Context(), id, in.Node, source(r))
	})
}

// handleExport streams one tar file with the game's record and every archived
// snapshot (admin), for POST /api/v1/games/import on another galaxyd.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	if !s.archiveService(w, r) {
		return
	}
	id, err := pathUUID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	// The archive writes as it reads; an error before the first byte is answered as
	// usual, one after it can only cut the stream (the tar is then incomplete).
	cw := &countingWriter{w: w, before: func() {
		w.Header().Set("Content-Type", "application/x-tar")
		w.Header().Set("Content-Disposition", `attachment; filename="galaxy-game-`+id.String()+`.tar"`)
	}}
	if err := s.ArchiveService.Export(r.Context(), id, cw); err != nil {
		if cw.n == 0 {
			s.Error(w, r, err)
			return
		}
		s.requestLogger(r).Error("export cut short", "game_id", id, "error", err, "bytes", cw.n)
	}
}

// handleImport recreates a game from another galaxyd's export (admin; body
// Content-Type application/x-tar): 201 with the game, stopped; its first start
// restores it from the imported snapshots.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	if !s.archiveService(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes)
	v, err := s.ArchiveService.Import(r.Context(), r.Body)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.requestLogger(r).Info("game imported", "game_id", v.ID)
	w.Header().Set("Location", "/api/v1/games/"+v.ID.String())
	writeJSON(w, http.StatusCreated, v)
}

// countingWriter counts what reaches w, calling before once ahead of the first byte.
type countingWriter struct {
	w      http.ResponseWriter
	n      int64
	before func()
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.n == 0 && c.before != nil {
		c.before()
		c.before = nil
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
