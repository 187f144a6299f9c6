package http_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

var errBoom = errors.New("boom: /var/lib/galaxy/secret.db is locked")

func TestError_Mapping(t *testing.T) {
	cases := []struct {
		code   string
		status int
	}{
		{orchestrator.EINVALID, http.StatusBadRequest},
		{orchestrator.ENOTFOUND, http.StatusNotFound},
		{orchestrator.ECONFLICT, http.StatusConflict},
		{orchestrator.EUNAUTHORIZED, http.StatusUnauthorized},
		{orchestrator.EFORBIDDEN, http.StatusForbidden},
		{orchestrator.ETOOLARGE, http.StatusRequestEntityTooLarge},
		{orchestrator.EOVERLOADED, http.StatusTooManyRequests},
		{orchestrator.EUNAVAILABLE, http.StatusServiceUnavailable},
		{orchestrator.EGAMEPAUSED, http.StatusConflict},
		{orchestrator.ETURNCLOSED, http.StatusConflict},
		{orchestrator.EENGINE, http.StatusBadGateway},
		{orchestrator.EENGINEUNREACHABLE, http.StatusGatewayTimeout},
		{orchestrator.EINTERNAL, http.StatusInternalServerError},
		{"no_such_code", http.StatusInternalServerError},
	}
	s := MustOpenServer(t)
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			if got, want := ghttp.ErrorStatus(tc.code), tc.status; got != want {
				t.Fatalf("ErrorStatus: got %d, want %d", got, want)
			}
			s.GameService.GameFn = func(context.Context, uuid.UUID) (*orchestrator.GameView, error) {
				// Wrapped, as services do, to check the code is found in the chain.
				return nil, fmt.Errorf("load: %w", &orchestrator.Error{Code: tc.code, Message: "the message", Field: "f"})
			}
			resp, body := s.Do(t, "GET", gamePath, nil)
			wantCode, wantMsg := tc.code, "the message"
			if tc.status == http.StatusInternalServerError {
				wantCode, wantMsg = "internal", "internal error"
			}
			e := MustError(t, resp, body, tc.status, wantCode, "")
			if got := e.Message; got != wantMsg {
				t.Fatalf("message: got %q, want %q", got, wantMsg)
			}
			retry := tc.status == http.StatusTooManyRequests || tc.status == http.StatusServiceUnavailable || tc.status == http.StatusGatewayTimeout
			if got := resp.Header.Get("Retry-After"); retry != (got != "") {
				t.Fatalf("Retry-After: got %q for status %d", got, tc.status)
			}
		})
	}
}

func TestError_Internal(t *testing.T) {
	s := MustOpenServer(t)
	s.GameService.GameFn = func(context.Context, uuid.UUID) (*orchestrator.GameView, error) { return nil, errBoom }
	resp, body := s.Do(t, "GET", gamePath, nil)
	e := MustError(t, resp, body, http.StatusInternalServerError, "internal", "")
	if got, want := e.Message, "internal error"; got != want {
		t.Fatalf("message: got %q, want %q", got, want)
	}
	if strings.Contains(string(body), "secret.db") {
		t.Fatalf("internal detail leaked: %s", body)
	}
	if !strings.Contains(s.Log.String(), "secret.db") {
		t.Fatalf("internal error not logged:\n%s", s.Log.String())
	}
}

func TestError_FieldAndDetails(t *testing.T) {
	s := MustOpenServer(t)
	s.GameService.GameFn = func(context.Context, uuid.UUID) (*orchestrator.GameView, error) {
		return nil, &orchestrator.Error{Code: orchestrator.EINVALID, Message: "bad orders", Field: "orders",
			Details: []orchestrator.Detail{{Index: 1, Field: "type", Message: "unknown order"}}}
	}
	resp, body := s.Do(t, "GET", gamePath, nil)
	e := MustError(t, resp, body, http.StatusBadRequest, "invalid", "orders")
	if len(e.Details) != 1 || e.Details[0].Index != 1 || e.Details[0].Message != "unknown order" {
		t.Fatalf("details: got %+v", e.Details)
	}
}

func TestError_Timeout(t *testing.T) {
	s := MustOpenServer(t)
	s.GameService.GameFn = func(context.Context, uuid.UUID) (*orchestrator.GameView, error) {
		return nil, fmt.Errorf("store: %w", context.DeadlineExceeded)
	}
	resp, body := s.Do(t, "GET", gamePath, nil)
	MustError(t, resp, body, http.StatusServiceUnavailable, "unavailable", "")
}
