package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/engine/server"
	"github.com/google/uuid"
)

const token = "client-test-token"

var (
	gameID = uuid.MustParse("6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10")
	actorA = uuid.MustParse("11111111-1111-1111-1111-111111111111")
	actorB = uuid.MustParse("22222222-2222-2222-2222-222222222222")
)

// MustEngine runs the reference engine in process over a temporary directory.
func MustEngine(tb testing.TB) *httptest.Server {
	tb.Helper()
	store, err := server.NewStore(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	s, err := server.New(store, token, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return ts
}

func initRequest() engine.InitRequest {
	return engine.InitRequest{GameID: gameID, Races: []engine.Race{{RaceName: "Zorg", PlayerID: actorA}, {RaceName: "Blip", PlayerID: actorB}}, Settings: map[string]any{"seed": 1}}
}

func TestClient(t *testing.T) {
	ctx := context.Background()
	ts := MustEngine(t)
	c := engine.NewClient(ts.URL+"/", token)
	t.Run("OK", func(t *testing.T) {
		if err := c.Healthz(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := c.Init(ctx, initRequest())
		if err != nil {
			t.Fatal(err)
		}
		if st.GameID != gameID || st.Turn != 0 || len(st.Players) != 2 {
			t.Fatalf("init state = %+v", st)
		}
		res, err := c.SubmitOrders(ctx, engine.OrdersRequest{Actor: actorA, Turn: 0, Final: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := *res, (engine.OrdersResult{Turn: 0, Accepted: 0, Final: true}); got != want {
			t.Fatalf("orders result = %+v, want %+v", got, want)
		}
		out, err := c.Command(ctx, engine.CommandRequest{Actor: actorB, Command: json.RawMessage(`{"type":"rename_race","name":"Blop"}`)})
		if err != nil || !strings.Contains(string(out), "Blop") {
			t.Fatalf("Command = %s, %v", out, err)
		}
		if st, err = c.Turn(ctx, 1); err != nil || st.Turn != 1 {
			t.Fatalf("Turn(1) = %+v, %v", st, err)
		}
		if st, err = c.State(ctx); err != nil || st.Turn != 1 || st.Players[1].RaceName != "Blop" {
			t.Fatalf("State = %+v, %v", st, err)
		}
		rep, err := c.Report(ctx, actorA, 0)
		if err != nil || !strings.Contains(string(rep), `"turn":0`) {
			t.Fatalf("Report = %.100s, %v", rep, err)
		}
	})
	t.Run("ErrStatus", func(t *testing.T) {
		_, err := c.Turn(ctx, 5)
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.StatusCode != 409 || ee.Code != engine.CodeConflict || !strings.Contains(ee.Message, "current turn is 1") {
			t.Fatalf("err = %v, want a 409 *engine.Error naming turn 1", err)
		}
		if !engine.IsStatus(err, 409) || engine.IsStatus(err, 400) || engine.IsStatus(nil, 409) {
			t.Fatal("IsStatus disagrees with the error")
		}
		if errors.Is(err, engine.ErrUnreachable) {
			t.Fatal("an answer is not ErrUnreachable")
		}
	})
	t.Run("ErrDetails", func(t *testing.T) {
		_, err := c.SubmitOrders(ctx, engine.OrdersRequest{Actor: actorA, Turn: 1, Orders: []json.RawMessage{json.RawMessage(`{"type":"warp"}`)}})
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.StatusCode != 400 || len(ee.Details) != 1 || ee.Details[0].Index != 0 {
			t.Fatalf("err = %#v, want a 400 with one detail", err)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		_, err := engine.NewClient(ts.URL, "wrong-"+token).State(ctx)
		if !engine.IsStatus(err, 401) {
			t.Fatalf("err = %v, want 401", err)
		}
		if strings.Contains(err.Error(), token) {
			t.Fatalf("error %q shows the token", err)
		}
	})
	t.Run("ErrNotJSONAnswer", func(t *testing.T) {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}))
		defer proxy.Close()
		_, err := engine.NewClient(proxy.URL, token).State(ctx)
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.StatusCode != 502 || ee.Message != "bad gateway" {
			t.Fatalf("err = %#v, want a 502 *engine.Error", err)
		}
	})
}

func TestClientUnreachable(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrRefused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = engine.NewClient("http://"+addr, token).State(ctx)
		if !errors.Is(err, engine.ErrUnreachable) {
			t.Fatalf("err = %v, want ErrUnreachable", err)
		}
		if strings.Contains(err.Error(), token) {
			t.Fatalf("error %q shows the token", err)
		}
	})
	t.Run("ErrTimeout", func(t *testing.T) {
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer slow.Close()
		defer close(release)
		_, err := engine.NewClient(slow.URL, token, engine.WithTimeout(50*time.Millisecond)).Turn(ctx, 1)
		if !errors.Is(err, engine.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrUnreachable wrapping DeadlineExceeded", err)
		}
	})
	t.Run("OK/OwnHTTPClient", func(t *testing.T) {
		ts := MustEngine(t)
		hc := &http.Client{Transport: &http.Transport{}}
		if err := engine.NewClient(ts.URL, token, engine.WithHTTPClient(hc)).Healthz(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
