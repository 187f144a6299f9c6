package http_test

import (
	"context"
	"net/http"
	"testing"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestListOperations(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		var gotLimit int
		s.GameService.OperationsFn = func(_ context.Context, id uuid.UUID, limit int) ([]*orchestrator.Operation, error) {
			gotLimit = limit
			return []*orchestrator.Operation{newOperation(id, orchestrator.OpStart, orchestrator.SourceLobby)}, nil
		}
		resp, body := s.Do(t, "GET", gamePath+"/operations?limit=5", nil)
		MustStatus(t, resp, body, http.StatusOK)
		if gotLimit != 5 {
			t.Fatalf("limit: got %d, want 5", gotLimit)
		}
		if l := MustUnmarshal[ghttp.OperationList](t, body); len(l.Operations) != 1 || l.Operations[0].GameID != gameID {
			t.Fatalf("operations: got %s", body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenServer(t)
		s.GameService.OperationsFn = func(context.Context, uuid.UUID, int) ([]*orchestrator.Operation, error) {
			return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no game")
		}
		resp, body := s.Do(t, "GET", gamePath+"/operations", nil)
		MustError(t, resp, body, http.StatusNotFound, "not_found", "")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, body := s.Do(t, "GET", gamePath+"/operations?limit=x", nil)
		MustError(t, resp, body, http.StatusBadRequest, "invalid", "limit")
		resp, body = s.Do(t, "GET", "/api/v1/games/zz/operations", nil)
		MustError(t, resp, body, http.StatusBadRequest, "invalid", "id")
	})
}

func TestGetOperation(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		s.GameService.OperationFn = func(_ context.Context, id uuid.UUID) (*orchestrator.Operation, error) {
			op := newOperation(gameID, orchestrator.OpStart, orchestrator.SourceLobby)
			op.ID, op.Status, op.ErrorCode = id, orchestrator.OpFailed, "engine_unreachable"
			return op, nil
		}
		resp, body := s.Do(t, "GET", "/api/v1/operations/"+opID.String(), nil)
		MustStatus(t, resp, body, http.StatusOK)
		op := MustUnmarshal[orchestrator.Operation](t, body)
		if op.ID != opID || op.Status != orchestrator.OpFailed || op.ErrorCode != "engine_unreachable" {
			t.Fatalf("operation: got %s", body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenServer(t)
		s.GameService.OperationFn = func(context.Context, uuid.UUID) (*orchestrator.Operation, error) {
			return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no operation")
		}
		resp, body := s.Do(t, "GET", "/api/v1/operations/"+opID.String(), nil)
		MustError(t, resp, body, http.StatusNotFound, "not_found", "")
	})
	t.Run("ErrMalformedID", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, body := s.Do(t, "GET", "/api/v1/operations/42", nil)
		MustError(t, resp, body, http.StatusBadRequest, "invalid", "operationId")
	})
}
