package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// playerRequest builds a lobby request for user.
func (s *Server) playerRequest(t *testing.T, method, path, user string, body any) *http.Request {
	t.Helper()
	req := s.Request(t, method, path, LobbyToken, body)
	if user != "" {
		req.Header.Set("X-Galaxy-User", user)
	}
	return req
}

func TestSubmitOrders(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		var gotGame, gotUser uuid.UUID
		var gotIn orchestrator.OrdersInput
		s.PlayerService.SubmitOrdersFn = func(_ context.Context, g, u uuid.UUID, in orchestrator.OrdersInput) (*engine.OrdersResult, error) {
			gotGame, gotUser, gotIn = g, u, in
			return &engine.OrdersResult{Turn: 3, Accepted: 2, Final: true}, nil
		}
		body := `{"turn":3,"orders":[{"type":"produce","planet":"P1"},{"type":"rename_planet"}],"final":true}`
		resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/orders", user1.String(), body))
		MustStatus(t, resp, b, http.StatusOK)
		if gotGame != gameID || gotUser != user1 || gotIn.Turn == nil || *gotIn.Turn != 3 || !gotIn.Final || len(gotIn.Orders) != 2 {
			t.Fatalf("call: game %s user %s input %+v", gotGame, gotUser, gotIn)
		}
		if got, want := string(gotIn.Orders[0]), `{"type":"produce","planet":"P1"}`; got != want {
			t.Fatalf("order: got %s, want %s", got, want)
		}
		if r := MustUnmarshal[engine.OrdersResult](t, b); r.Accepted != 2 || !r.Final {
			t.Fatalf("result: got %s", b)
		}
	})
	t.Run("ErrUserHeader", func(t *testing.T) {
		s := MustOpenServer(t)
		for _, user := range []string{"", "bob", uuid.Nil.String()} {
			resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/orders", user, `{"orders":[]}`))
			MustError(t, resp, b, http.StatusBadRequest, "invalid", "X-Galaxy-User")
		}
	})
	t.Run("ErrMalformedID", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, b := MustDo(t, s.playerRequest(t, "POST", "/api/v1/games/g1/orders", user1.String(), `{"orders":[]}`))
		MustError(t, resp, b, http.StatusBadRequest, "invalid", "id")
	})
	t.Run("ErrBody", func(t *testing.T) {
		s := MustOpenServer(t)
		for body, field := range map[string]string{
			`{"turn":"3"}`:        "turn",
			`{"turn":1.5}`:        "turn",
			`{"orders":{}}`:       "orders",
			`{"orders":[],"x":1}`: "x",
			`{"final":1}`:         "final",
		} {
			resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/orders", user1.String(), body))
			MustError(t, resp, b, http.StatusBadRequest, "invalid", field)
		}
	})
	for name, tc := range map[string]struct {
		err    error
		status int
	}{
		"ErrGamePaused":        {orchestrator.Errorf(orchestrator.EGAMEPAUSED, "the game is paused"), http.StatusConflict},
		"ErrTurnClosed":        {orchestrator.Errorf(orchestrator.ETURNCLOSED, "turn 3 is being generated"), http.StatusConflict},
		"ErrForbidden":         {orchestrator.Errorf(orchestrator.EFORBIDDEN, "not a player"), http.StatusForbidden},
		"ErrNotFound":          {orchestrator.Errorf(orchestrator.ENOTFOUND, "no game"), http.StatusNotFound},
		"ErrEngineUnreachable": {orchestrator.Errorf(orchestrator.EENGINEUNREACHABLE, "no answer"), http.StatusGatewayTimeout},
		"ErrEngine":            {orchestrator.Errorf(orchestrator.EENGINE, "engine answered 500"), http.StatusBadGateway},
		"ErrRejected": {&orchestrator.Error{Code: orchestrator.EINVALID, Message: "orders rejected",
			Details: []orchestrator.Detail{{Index: 0, Field: "type", Message: "unknown order type"}}}, http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			s := MustOpenServer(t)
			s.PlayerService.SubmitOrdersFn = func(context.Context, uuid.UUID, uuid.UUID, orchestrator.OrdersInput) (*engine.OrdersResult, error) {
				return nil, tc.err
			}
			resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/orders", user1.String(), `{"turn":3,"orders":[{"type":"x"}]}`))
			e := MustError(t, resp, b, tc.status, orchestrator.ErrorCode(tc.err), "")
			if got, want := len(e.Details), len(tc.err.(*orchestrator.Error).Details); got != want {
				t.Fatalf("details: got %d, want %d", got, want)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		var got json.RawMessage
		s.PlayerService.CommandFn = func(_ context.Context, g, u uuid.UUID, cmd json.RawMessage) (json.RawMessage, error) {
			got = cmd
			return json.RawMessage(`{"renamed":true}`), nil
		}
		resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/commands", user2.String(), `{"command":{"type":"rename","name":"New"}}`))
		MustStatus(t, resp, b, http.StatusOK)
		if want := `{"type":"rename","name":"New"}`; string(got) != want {
			t.Fatalf("command: got %s, want %s", got, want)
		}
		if got, want := string(b), `{"renamed":true}`; got != want {
			t.Fatalf("body: got %s, want %s", got, want)
		}
	})
	t.Run("EmptyAnswer", func(t *testing.T) {
		s := MustOpenServer(t)
		s.PlayerService.CommandFn = func(context.Context, uuid.UUID, uuid.UUID, json.RawMessage) (json.RawMessage, error) {
			return nil, nil
		}
		resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/commands", user2.String(), `{"command":{"type":"x"}}`))
		MustStatus(t, resp, b, http.StatusOK)
		if got, want := string(b), `{}`; got != want {
			t.Fatalf("body: got %s, want %s", got, want)
		}
	})
	t.Run("ErrEngineInvalidJSON", func(t *testing.T) {
		s := MustOpenServer(t)
		s.PlayerService.CommandFn = func(context.Context, uuid.UUID, uuid.UUID, json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`{oops`), nil
		}
		resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/commands", user2.String(), `{"command":{"type":"x"}}`))
		MustError(t, resp, b, http.StatusBadGateway, "engine_error", "")
	})
	t.Run("ErrNoCommand", func(t *testing.T) {
		s := MustOpenServer(t)
		for _, body := range []string{`{}`, `{"command":null}`} {
			resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/commands", user2.String(), body))
			MustError(t, resp, b, http.StatusBadRequest, "invalid", "command")
		}
	})
	t.Run("ErrUserHeader", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/commands", "", `{"command":{}}`))
		MustError(t, resp, b, http.StatusBadRequest, "invalid", "X-Galaxy-User")
	})
	t.Run("ErrGamePaused", func(t *testing.T) {
		s := MustOpenServer(t)
		s.PlayerService.CommandFn = func(context.Context, uuid.UUID, uuid.UUID, json.RawMessage) (json.RawMessage, error) {
			return nil, orchestrator.Errorf(orchestrator.EGAMEPAUSED, "paused")
		}
		resp, b := MustDo(t, s.playerRequest(t, "POST", gamePath+"/commands", user2.String(), `{"command":{"type":"x"}}`))
		MustError(t, resp, b, http.StatusConflict, "game_paused", "")
	})
}

func TestReport(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		var gotTurn *int
		var gotUser uuid.UUID
		s.PlayerService.ReportFn = func(_ context.Context, g, u uuid.UUID, q orchestrator.ReportQuery) (json.RawMessage, error) {
			gotTurn, gotUser = q.Turn, u
			return json.RawMessage(`{"turn":4,"planets":[]}`), nil
		}
		resp, b := MustDo(t, s.playerRequest(t, "GET", gamePath+"/report?turn=4", user1.String(), nil))
		MustStatus(t, resp, b, http.StatusOK)
		if gotTurn == nil || *gotTurn != 4 || gotUser != user1 {
			t.Fatalf("call: turn %v user %s", gotTurn, gotUser)
		}
		if got, want := string(b), `{"turn":4,"planets":[]}`; got != want {
			t.Fatalf("body: got %s, want %s", got, want)
		}
		resp, b = MustDo(t, s.playerRequest(t, "GET", gamePath+"/report?turn=0", user1.String(), nil))
		MustStatus(t, resp, b, http.StatusOK)
		if gotTurn == nil || *gotTurn != 0 {
			t.Fatalf("turn=0: got %v, want turn 0 (a real turn)", gotTurn)
		}
		resp, b = MustDo(t, s.playerRequest(t, "GET", gamePath+"/report", user1.String(), nil))
		MustStatus(t, resp, b, http.StatusOK)
		if gotTurn != nil {
			t.Fatalf("no turn: got %d, want none (the latest)", *gotTurn)
		}
	})
	t.Run("ErrTurn", func(t *testing.T) {
		s := MustOpenServer(t)
		for _, q := range []string{"turn=-1", "turn=x", "turn=99999999999999999999"} {
			resp, b := MustDo(t, s.playerRequest(t, "GET", gamePath+"/report?"+q, user1.String(), nil))
			MustError(t, resp, b, http.StatusBadRequest, "invalid", "turn")
		}
	})
	t.Run("ErrUserHeader", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, b := MustDo(t, s.playerRequest(t, "GET", gamePath+"/report", "not-a-uuid", nil))
		e := MustError(t, resp, b, http.StatusBadRequest, "invalid", "X-Galaxy-User")
		if !strings.Contains(e.Message, "X-Galaxy-User") {
			t.Fatalf("message: got %q, want it to name the header", e.Message)
		}
	})
	t.Run("ErrUnavailable", func(t *testing.T) {
		s := MustOpenServer(t)
		s.PlayerService.ReportFn = func(context.Context, uuid.UUID, uuid.UUID, orchestrator.ReportQuery) (json.RawMessage, error) {
			return nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "game is stopped")
		}
		resp, b := MustDo(t, s.playerRequest(t, "GET", gamePath+"/report", user1.String(), nil))
		MustError(t, resp, b, http.StatusServiceUnavailable, "unavailable", "")
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		s := MustOpenServer(t)
		s.PlayerService.ReportFn = func(context.Context, uuid.UUID, uuid.UUID, orchestrator.ReportQuery) (json.RawMessage, error) {
			return nil, orchestrator.Errorf(orchestrator.EFORBIDDEN, "not a player")
		}
		resp, b := MustDo(t, s.playerRequest(t, "GET", gamePath+"/report", user1.String(), nil))
		MustError(t, resp, b, http.StatusForbidden, "forbidden", "")
	})
}
