package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// TestEventStream follows a game's events live over SSE: a forced turn arrives as
// game.turn_generated with its seq as the event id, and a reconnect with Last-Event-ID
// replays what came after it.
func TestEventStream(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	id := MustStartGame(t, a, yearly, "Watched")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	open := func(lastID string) (*bufio.Scanner, func()) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", a.base+"/api/v1/events?game="+id.String(), nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return bufio.NewScanner(resp.Body), func() { resp.Body.Close() }
	}
	// next reads one event: its id, type and data.
	next := func(sc *bufio.Scanner) (id, typ string, e orchestrator.Event) {
		t.Helper()
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e); err != nil {
					t.Fatal(err)
				}
			case line == "" && id != "":
				return id, typ, e
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return
	}
	sc, closeStream := open("")
	a.action(id, "force-next-turn", nil)
	evID, typ, e := next(sc)
	if typ != orchestrator.EventTurnGenerated || e.GameID != id || e.Turn != 1 || evID == "" {
		t.Fatalf("first event: id %q type %s game %s turn %d, want turn_generated of turn 1", evID, typ, e.GameID, e.Turn)
	}
	closeStream()
	a.action(id, "force-next-turn", nil)
	sc, closeStream = open(evID) // what happened while disconnected comes first
	defer closeStream()
	if _, typ, e := next(sc); typ != orchestrator.EventTurnGenerated || e.Turn != 2 {
		t.Fatalf("after reconnect: %s turn %d, want turn_generated of turn 2", typ, e.Turn)
	}
}
