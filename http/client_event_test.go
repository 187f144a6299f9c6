package http_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// sseServer serves GET /api/v1/events from a script: connection i runs conns[i].
type sseServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []*http.Request
	conns []func(w http.ResponseWriter, r *http.Request)
}

func newSSEServer(t *testing.T, conns ...func(w http.ResponseWriter, r *http.Request)) *sseServer {
	t.Helper()
	s := &sseServer{conns: conns}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		i := len(s.reqs) - 1
		s.mu.Unlock()
		if r.URL.Path != "/api/v1/events" || i >= len(s.conns) {
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		s.conns[i](w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sseServer) req(i int) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[i]
}

func sseEvent(seq uint64, typ string) string {
	return fmt.Sprintf("id: %d\nevent: %s\ndata: {\"seq\":%d,\"id\":\"%s\",\"type\":\"%s\",\"gameId\":\"%s\",\"turn\":%d,\"createdAt\":\"2026-03-01T12:00:00Z\"}\n\n",
		seq, typ, seq, opID, typ, gameID, seq)
}

func TestClient_Events(t *testing.T) {
	t.Run("ResumesWithLastEventID", func(t *testing.T) {
		s := newSSEServer(t,
			func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, ": keep-alive\n\nretry: 5\n\n"+sseEvent(1, orchestrator.EventGameStarted)+sseEvent(2, orchestrator.EventTurnGenerated))
			}, // then the server ends the stream
			func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, sseEvent(3, orchestrator.EventGamePaused))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			})
		c, _ := ghttp.NewClient(s.URL)
		c.Token = AdminToken
		var got []string
		for e, err := range c.Events(context.Background(), ghttp.EventFilter{GameID: gameID}) {
			var re *ghttp.ReconnectError
			switch {
			case errors.As(err, &re):
				if !errors.Is(err, io.EOF) || re.After.Milliseconds() != 5 {
					t.Fatalf("reconnect: %v after %s, want the server's end and its retry of 5ms", re.Err, re.After)
				}
				got = append(got, "reconnect")
				continue
			case err != nil:
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d %s %d", e.Seq, e.Type, e.Turn))
			if e.Seq == 3 {
				break
			}
		}
		if want := "1 game.started 1,2 game.turn_generated 2,reconnect,3 game.paused 3"; strings.Join(got, ",") != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		first, second := s.req(0), s.req(1)
		if first.Header.Get("Last-Event-ID") != "" || second.Header.Get("Last-Event-ID") != "2" {
			t.Fatalf("Last-Event-ID: first %q, second %q, want none and 2", first.Header.Get("Last-Event-ID"), second.Header.Get("Last-Event-ID"))
		}
		if first.URL.Query().Get("game") != gameID.String() || first.Header.Get("Accept") != "text/event-stream" ||
			first.Header.Get("Authorization") != "Bearer "+AdminToken {
			t.Fatalf("request: %s %v", first.URL, first.Header)
		}
	})
	t.Run("IdleConnection", func(t *testing.T) {
		defer ghttp.SetEventIdle(50 * time.Millisecond)()
		s := newSSEServer(t,
			func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, sseEvent(1, orchestrator.EventGameStarted))
				w.(http.Flusher).Flush()
				<-r.Context().Done() // then silence, the connection open
			},
			func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, sseEvent(2, orchestrator.EventGamePaused))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			})
		c, _ := ghttp.NewClient(s.URL)
		var got []string
		for e, err := range c.Events(context.Background(), ghttp.EventFilter{}) {
			if err != nil {
				if !strings.Contains(err.Error(), "not even a heartbeat") {
					t.Fatalf("got %v, want the idle limit", err)
				}
				got = append(got, "reconnect")
				continue
			}
			got = append(got, strconv.FormatUint(e.Seq, 10))
			if e.Seq == 2 {
				break
			}
		}
		if strings.Join(got, ",") != "1,reconnect,2" || s.req(1).Header.Get("Last-Event-ID") != "1" {
			t.Fatalf("got %q, second Last-Event-ID %q", got, s.req(1).Header.Get("Last-Event-ID"))
		}
	})
	t.Run("After", func(t *testing.T) {
		s := newSSEServer(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, sseEvent(8, orchestrator.EventGameResumed))
		})
		c, _ := ghttp.NewClient(s.URL)
		for e, err := range c.Events(context.Background(), ghttp.EventFilter{After: 7}) {
			if err != nil || e.Seq != 8 {
				t.Fatalf("got %+v %v", e, err)
			}
			break
		}
		if got := s.req(0).Header.Get("Last-Event-ID"); got != "7" {
			t.Fatalf("Last-Event-ID: got %q, want 7", got)
		}
		if s.req(0).URL.RawQuery != "" {
			t.Fatalf("query: got %q, want none", s.req(0).URL.RawQuery)
		}
	})
	t.Run("BadEventGoesOn", func(t *testing.T) {
		s := newSSEServer(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "id: 4\ndata: {not json\n\n"+sseEvent(5, orchestrator.EventGameStopped))
		})
		c, _ := ghttp.NewClient(s.URL)
		var got []string
		for e, err := range c.Events(context.Background(), ghttp.EventFilter{}) {
			if err != nil {
				got = append(got, "error")
				continue
			}
			got = append(got, e.Type)
			break
		}
		if strings.Join(got, ",") != "error,game.stopped" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("ErrNoRoute", func(t *testing.T) {
		// The API as it is: no /api/v1/events yet.
		srv := MustOpenServer(t)
		c := MustClient(t, srv, AdminToken)
		n := 0
		for _, err := range c.Events(context.Background(), ghttp.EventFilter{GameID: gameID}) {
			n++
			if orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
				t.Fatalf("got %v, want not_found", err)
			}
		}
		if n != 1 {
			t.Fatalf("yielded %d times, want once", n)
		}
	})
	t.Run("ErrNotAStream", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"events":[]}`)
		}))
		defer ts.Close()
		c, _ := ghttp.NewClient(ts.URL)
		n := 0
		for _, err := range c.Events(context.Background(), ghttp.EventFilter{}) {
			n++
			if err == nil || !strings.Contains(err.Error(), "not text/event-stream") {
				t.Fatalf("got %v", err)
			}
		}
		if n != 1 {
			t.Fatalf("yielded %d times, want once", n)
		}
	})
	t.Run("ContextEnds", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := newSSEServer(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, sseEvent(1, orchestrator.EventGameStarted))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		})
		c, _ := ghttp.NewClient(s.URL)
		for e, err := range c.Events(ctx, ghttp.EventFilter{}) {
			if err != nil || e.Seq != 1 {
				t.Fatalf("got %+v %v", e, err)
			}
			cancel() // the sequence ends without an error
		}
	})
}

func TestReadSSE(t *testing.T) {
	var got []string
	err := ghttp.ReadSSE(strings.NewReader(": comment\r\nid: 1\r\ndata: a\r\ndata:b\r\n\r\nid: 2\n\nevent: x\ndata\n\nretry: 250\n\n"), func(id, event, data string, retry int64) bool {
		got = append(got, fmt.Sprintf("%s|%s|%q|%d", id, event, data, retry))
		return true
	})
	if !errors.Is(err, io.EOF) {
		t.Fatalf("end: got %v, want io.EOF", err)
	}
	if want := []string{`1||"a\nb"|0`, `2||""|0`, `|x|""|0`, `||""|250`}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %q, want %q", got, want)
	}
}
