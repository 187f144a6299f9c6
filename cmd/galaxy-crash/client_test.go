package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// TestOutcome checks the classification the checks rest on, against real answers:
// an answer is a rejection, a refused connection too (nothing was sent), and an answer
// cut short may have been committed.
func TestOutcome(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/games/" + okID.String():
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"` + okID.String() + `","runtime":{"status":"running"}}`))
		case "/api/v1/games/" + fullID.String():
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":{"code":"storage_unavailable","message":"disk full"}}`))
		default: // the daemon dies after the headers
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"id":`))
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
		}
	}))
	defer ts.Close()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	n, _ := strconv.Atoi(port)
	c := newClient(n)
	ctx := context.Background()

	if _, err := c.Game(ctx, okID); outcomeOf(err) != acked {
		t.Errorf("200: got %v, want acked", err)
	}
	_, err := c.Game(ctx, fullID)
	if outcomeOf(err) != rejected || serverError(err) == nil || serverError(err).Code != orchestrator.ESTORAGE {
		t.Errorf("503: got %v, want rejected, a server error", err)
	}
	if _, err := c.Game(ctx, uuid.New()); outcomeOf(err) != unanswered {
		t.Errorf("cut short: got %v (%d), want unanswered", err, outcomeOf(err))
	}
	ts.Close()
	if _, err := c.Game(ctx, okID); outcomeOf(err) != rejected || answered(err) || serverError(err) != nil {
		t.Errorf("refused: got %v (%d), want rejected, no answer", err, outcomeOf(err))
	}
}

var (
	okID   = uuid.MustParse("0190f5d2-0000-7000-8000-000000000001")
	fullID = uuid.MustParse("0190f5d2-0000-7000-8000-000000000002")
)
