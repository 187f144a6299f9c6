package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
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

func TestClientSnapshot(t *testing.T) {
	ctx := context.Background()
	src := engine.NewClient(MustEngine(t).URL, token)
	dst := engine.NewClient(MustEngine(t).URL, token)
	t.Run("ErrNotInitialised", func(t *testing.T) {
		_, _, err := src.Snapshot(ctx, false)
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.StatusCode != 404 || ee.Code != engine.CodeNotInitialised || engine.IsNotSupported(err) {
			t.Fatalf("err = %v, want a 404 not_initialised that is not ErrNotSupported", err)
		}
	})
	if _, err := src.Init(ctx, initRequest()); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Turn(ctx, 1); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		doc, etag, err := src.Snapshot(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := engine.ParseSnapshot(doc)
		if err != nil {
			t.Fatal(err)
		}
		if snap.GameID != gameID || snap.Turn != 1 || len(snap.Reports) != 2 || len(etag) != 66 {
			t.Fatalf("snapshot = game %s turn %d with %d reports, etag %q", snap.GameID, snap.Turn, len(snap.Reports), etag)
		}
		st, err := dst.Restore(ctx, doc, false)
		if err != nil {
			t.Fatal(err)
		}
		if st.GameID != gameID || st.Turn != 1 {
			t.Fatalf("restored state = %+v", st)
		}
		if _, err := dst.Restore(ctx, doc, false); !engine.IsStatus(err, 409) {
			t.Fatalf("second restore: err = %v, want 409", err)
		}
		if _, err := dst.Restore(ctx, doc, true); err != nil {
			t.Fatalf("restore with replace: %v", err)
		}
	})
	t.Run("ErrBadDocument", func(t *testing.T) {
		_, err := dst.Restore(ctx, []byte(`{"schemaVersion":1,"gameId":"00000000-0000-0000-0000-000000000000"}`), true)
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.StatusCode != 400 || len(ee.Details) != 1 || ee.Details[0].Field != "gameId" {
			t.Fatalf("err = %v, want a 400 naming gameId", err)
		}
	})
	t.Run("ErrNotSupported", func(t *testing.T) {
		for name, h := range map[string]http.HandlerFunc{
			"NoRoute": func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(404)
				w.Write([]byte(`{"error":{"code":"not_found","message":"no route"}}`))
			},
			"PlainNotFound":    func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			"MethodNotAllowed": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(405) },
		} {
			t.Run(name, func(t *testing.T) {
				old := httptest.NewServer(h)
				defer old.Close()
				c := engine.NewClient(old.URL, token)
				_, _, err := c.Snapshot(ctx, false)
				if !engine.IsNotSupported(err) || !errors.Is(err, engine.ErrNotSupported) {
					t.Fatalf("Snapshot: err = %v, want ErrNotSupported", err)
				}
				var ee *engine.Error
				if !errors.As(err, &ee) {
					t.Fatalf("Snapshot: err = %v, want it to wrap the *engine.Error", err)
				}
				if _, err := c.Restore(ctx, []byte(`{}`), false); !engine.IsNotSupported(err) {
					t.Fatalf("Restore: err = %v, want ErrNotSupported", err)
				}
			})
		}
	})
	t.Run("ErrETagMismatch", func(t *testing.T) {
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"`+strings.Repeat("0", 64)+`"`)
			w.Write([]byte(`{"schemaVersion":1}`))
		}))
		defer bad.Close()
		if _, _, err := engine.NewClient(bad.URL, token).Snapshot(ctx, false); err == nil || !strings.Contains(err.Error(), "ETag") {
			t.Fatalf("err = %v, want an ETag mismatch", err)
		}
	})
}

func TestParseSnapshot(t *testing.T) {
	for name, doc := range map[string]string{
		"ErrSchema":   `{"schemaVersion":2,"gameId":"` + gameID.String() + `","turn":0,"state":{}}`,
		"ErrZeroID":   `{"schemaVersion":1,"gameId":"00000000-0000-0000-0000-000000000000","turn":0,"state":{}}`,
		"ErrNoState":  `{"schemaVersion":1,"gameId":"` + gameID.String() + `","turn":0}`,
		"ErrNegative": `{"schemaVersion":1,"gameId":"` + gameID.String() + `","turn":-1,"state":{}}`,
		"ErrJSON":     `{`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := engine.ParseSnapshot([]byte(doc)); err == nil {
				t.Fatal("err = nil")
			}
		})
	}
}

// TestClient_NoHTMLEscaping: orders are forwarded byte for byte, "<", ">" and "&"
// included, so a body that fits the orchestrator's limit fits the engine's.
func TestClient_NoHTMLEscaping(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"turn":0,"accepted":1,"final":false,"allFinal":false}`))
	}))
	defer srv.Close()
	order := json.RawMessage(`{"type":"message","text":"<a & b>"}`)
	if _, err := engine.NewClient(srv.URL, "").SubmitOrders(context.Background(), engine.OrdersRequest{Orders: []json.RawMessage{order}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, order) {
		t.Fatalf("forwarded body %s does not hold the order %s as it was", got, order)
	}
}

func TestClientReportText(t *testing.T) {
	ctx := context.Background()
	c := engine.NewClient(MustEngine(t).URL, token)
	if _, err := c.Init(ctx, initRequest()); err != nil {
		t.Fatal(err)
	}
	text, err := c.ReportText(ctx, actorA, 0)
	if err != nil || !strings.Contains(string(text), "Turn 0 Report for Zorg") {
		t.Fatalf("ReportText = %.200s, %v", text, err)
	}
	if _, err := c.ReportText(ctx, actorA, 5); !engine.IsStatus(err, 404) {
		t.Fatalf("ReportText of a future turn: err = %v, want 404", err)
	}
}
