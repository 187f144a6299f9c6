package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/mock"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// sse is one Server-Sent Event of GET /api/v1/events, as the contract has it: the
// outbox's orchestrator.Event as JSON, its seq as the id.
func sse(seq uint64, typ string, turn int, data string) string {
	e := fmt.Sprintf(`{"seq":%d,"id":"%s","type":"%s","gameId":"%s","turn":%d,"createdAt":"2026-03-01T18:00:0%dZ"`, seq, uuid.New(), typ, gameID, turn, seq%10)
	if data != "" {
		e += `,"data":` + data
	}
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s}\n\n", seq, typ, e)
}

// ServeEvents streams events on GET /api/v1/events and then holds the stream open.
func (a *API) ServeEvents(t *testing.T, events ...string) *atomic.Value {
	var query atomic.Value
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Handle["GET /api/v1/events"] = func(w http.ResponseWriter, r *http.Request) {
		query.Store(r.URL.RawQuery)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, ": hello\n\n"+strings.Join(events, ""))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	return &query
}

func TestGameWatch(t *testing.T) {
	turnData := `{"players":[{"id":"33333333-3333-4333-8333-333333333333","raceName":"Zorg","planets":5,"population":900,"industry":650.5}]}`
	t.Run("Events", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"paused":false`))
		query := a.ServeEvents(t,
			sse(41, orchestrator.EventTurnGenerated, 8, turnData),
			sse(42, orchestrator.EventGamePaused, 8, ""),
			sse(43, orchestrator.EventGameFailed, 8, `{"turn":9,"status":"generation_failed","error":"the engine answered 500"}`))
		r := Start(t, a.URL, "game", "watch", gameID)
		r.WaitFor(t, "Turn 9 failed")
		out := r.Stdout.String()
		MustLines(t, out,
			`^==> .*: Watching game `+gameID+` \(Ctrl-C to stop\)$`,
			`^    .*: Game is running at turn 7, engine passing, paused false, next turn 2026-03-01T18:00:00Z`,
			`^    2026-03-01T18:00:01Z: Turn 8 generated; Zorg 5 planets, 900\.00 pop, 650\.50 ind$`,
			`^    2026-03-01T18:00:02Z: Game paused$`,
			`^    2026-03-01T18:00:03Z: Turn 9 failed, game generation_failed: the engine answered 500$`)
		if code := r.Stop(t); code != exitOK {
			t.Fatalf("Ctrl-C: exit %d, want 0\n%s", code, r.Stderr.String())
		}
		if got := query.Load(); got != "game="+gameID {
			t.Fatalf("query: got %v", got)
		}
	})
	t.Run("EndsWhenRemoved", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"paused":false`))
		a.ServeEvents(t, sse(7, orchestrator.EventGameStopped, 7, ""), sse(8, orchestrator.EventGameRemoved, 7, ""))
		r := Start(t, a.URL, "game", "watch", gameID)
		if code := r.Wait(t); code != exitOK {
			t.Fatalf("exit %d", code)
		}
		MustLines(t, r.Stdout.String(), `Game stopped at turn 7$`, `Game removed$`)
	})
	t.Run("JSON", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"paused":false`))
		a.ServeEvents(t, sse(41, orchestrator.EventTurnGenerated, 8, turnData), sse(42, orchestrator.EventGameRemoved, 8, ""))
		r := Start(t, a.URL, "game", "watch", gameID, "-json")
		if code := r.Wait(t); code != exitOK {
			t.Fatalf("exit %d", code)
		}
		lines := strings.Split(strings.TrimSpace(r.Stdout.String()), "\n")
		if len(lines) != 3 {
			t.Fatalf("want 3 lines of JSON:\n%s", r.Stdout.String())
		}
		var first, second watchRecord
		if json.Unmarshal([]byte(lines[0]), &first) != nil || first.Runtime == nil || first.Runtime.CurrentTurn != 7 ||
			json.Unmarshal([]byte(lines[1]), &second) != nil || second.Event == nil || second.Event.Seq != 41 || second.Event.Turn != 8 {
			t.Fatalf("lines:\n%s", r.Stdout.String())
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		a := NewAPI(t)
		code, stdout, stderr := MustRun(t, a, "game", "watch", gameID)
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.HasPrefix(stderr, "Error: not_found") {
			t.Fatalf("stderr: %q", stderr)
		}
	})
}

// TestGameWatchPolling runs game watch against the real server, which has no event
// stream yet: watch falls back to polling the game and its operations.
func TestGameWatchPolling(t *testing.T) {
	id := uuid.MustParse(gameID)
	zorg := uuid.MustParse("33333333-3333-4333-8333-333333333333")
	forced := &orchestrator.Operation{ID: uuid.MustParse(opID), GameID: id, Op: orchestrator.OpForceNextTurn, Source: orchestrator.SourceAdmin,
		Status: orchestrator.OpQueued, CreatedAt: time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)}
	var step atomic.Int32 // the test moves the game on; each poll shows the current step
	var opsReads atomic.Int32
	view := func() *orchestrator.GameView {
		next := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)
		r := &orchestrator.Runtime{GameID: id, Status: orchestrator.StatusRunning, CurrentTurn: 7, NextTurnAt: &next, EngineHealth: "passing",
			UpdatedAt: time.Date(2026, 3, 1, 17, 0, int(step.Load()), 0, time.UTC)}
		switch step.Load() {
		case 0, 1:
		case 2:
			r.Status, r.PendingTurn = orchestrator.StatusGenerationInProgress, 8
		default:
			r.CurrentTurn, r.Paused, r.NextTurnAt = 8, true, nil
			r.Players = []engine.PlayerSummary{{ID: zorg, RaceName: "Zorg", Planets: 5}}
		}
		return &orchestrator.GameView{Game: &orchestrator.Game{ID: id, EngineVersion: "1.2.3",
			Players: []orchestrator.Player{{UserID: uuid.MustParse(userID), RaceName: "Zorg", EnginePlayerID: zorg}}}, Runtime: r}
	}
	games := &mock.GameService{
		GameFn: func(context.Context, uuid.UUID) (*orchestrator.GameView, error) { return view(), nil },
		OperationsFn: func(context.Context, uuid.UUID, int) ([]*orchestrator.Operation, error) {
			opsReads.Add(1)
			switch s := step.Load(); {
			case s == 0:
				return nil, nil
			case s < 3:
				op := *forced
				return []*orchestrator.Operation{&op}, nil
			}
			op := *forced
			op.Status, op.Attempts = orchestrator.OpSucceeded, 1
			return []*orchestrator.Operation{&op}, nil
		},
	}
	s := ghttp.NewServer(ghttp.Config{Addr: "127.0.0.1:0", AdminToken: testToken, GameService: games})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	r := Start(t, s.URL(), "game", "watch", gameID)
	r.WaitFor(t, "galaxyd has no event stream (GET /api/v1/events: 404); polling every")
	// The first read of the operations is what watch knows already; move on after it.
	for deadline := time.Now().Add(10 * time.Second); opsReads.Load() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("watch does not poll the operations")
		}
		time.Sleep(time.Millisecond)
	}
	step.Store(1)
	r.WaitFor(t, "force_next_turn "+opID+": Operation queued by admin")
	step.Store(2)
	r.WaitFor(t, "Game status generation_in_progress")
	step.Store(3)
	r.WaitFor(t, "Operation succeeded", "Turn 8 generated", "Next turn none (paused)")
	if code := r.Stop(t); code != exitOK {
		t.Fatalf("Ctrl-C: exit %d\n%s", code, r.Stderr.String())
	}
	MustLines(t, r.Stdout.String(),
		`Watching game `+gameID,
		`Game is running at turn 7, engine passing, paused false`,
		`no event stream`,
		`force_next_turn `+opID+`: Operation queued by admin$`,
		`Game status generation_in_progress$`,
		`Turn 8 generated$`,
		`Game paused true$`,
		`Next turn none \(paused\)$`)
	if n := strings.Count(r.Stdout.String(), "Operation queued by admin"); n != 1 {
		t.Fatalf("the operation was reported %d times as queued, want once:\n%s", n, r.Stdout.String())
	}
}

// feed is an orchestrator.EventFeed over a fixed log, starting after seq 5.
type feed struct {
	mu     sync.Mutex
	events []*orchestrator.Event
}

func (f *feed) Last(context.Context) (uint64, error) { return 5, nil }

func (f *feed) Next(ctx context.Context, after uint64, limit int, wait time.Duration) ([]*orchestrator.Event, error) {
	f.mu.Lock()
	var out []*orchestrator.Event
	for _, e := range f.events {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	f.mu.Unlock()
	if len(out) > 0 {
		return out, nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, nil
	}
}

// TestGameWatchServer follows a game through the real server's event stream.
func TestGameWatchServer(t *testing.T) {
	id, other := uuid.MustParse(gameID), uuid.New()
	at := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)
	f := &feed{events: []*orchestrator.Event{
		{Seq: 6, Type: orchestrator.EventTurnGenerated, GameID: other, Turn: 3, CreatedAt: at},
		{Seq: 7, Type: orchestrator.EventTurnGenerated, GameID: id, Turn: 8, CreatedAt: at, Data: json.RawMessage(`{"players":[{"raceName":"Zorg","planets":5}]}`)},
		{Seq: 8, Type: orchestrator.EventRolledBack, GameID: id, Turn: 6, CreatedAt: at, Data: json.RawMessage(`{"fromTurn":8,"toTurn":6,"line":1}`)},
		{Seq: 9, Type: orchestrator.EventTransferred, GameID: id, Turn: 6, CreatedAt: at, Data: json.RawMessage(`{"fromNode":"n1","toNode":"n2","outageMs":840}`)},
	}}
	games := &mock.GameService{GameFn: func(context.Context, uuid.UUID) (*orchestrator.GameView, error) {
		return &orchestrator.GameView{Game: &orchestrator.Game{ID: id}, Runtime: &orchestrator.Runtime{GameID: id, Status: orchestrator.StatusRunning, CurrentTurn: 7}}, nil
	}}
	s := ghttp.NewServer(ghttp.Config{Addr: "127.0.0.1:0", AdminToken: testToken, GameService: games, EventFeed: f})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := Start(t, s.URL(), "game", "watch", gameID)
	r.WaitFor(t, "Engine moved")
	if code := r.Stop(t); code != exitOK {
		t.Fatalf("Ctrl-C: exit %d\n%s", code, r.Stderr.String())
	}
	out := r.Stdout.String()
	MustLines(t, out, `Game is running at turn 7`,
		`^    2026-03-01T18:00:00Z: Turn 8 generated; Zorg 5 planets, 0\.00 pop, 0\.00 ind$`,
		`^    2026-03-01T18:00:00Z: Rolled back from turn 8 to turn 6 \(history line 1\)$`,
		`^    2026-03-01T18:00:00Z: Engine moved from node n1 to node n2 \(840 ms without an engine\)$`)
	if strings.Contains(out, "turn 3") || strings.Contains(out, "polling") {
		t.Fatalf("another game's event, or polling:\n%s", out)
	}
}
