package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// MustClient returns a client of s that sends token.
func MustClient(tb testing.TB, s *Server, token string) *ghttp.Client {
	tb.Helper()
	c, err := ghttp.NewClient(s.URL())
	if err != nil {
		tb.Fatal(err)
	}
	c.Token = token
	return c
}

// headers records the headers of the requests a handler saw.
type headers struct {
	mu   sync.Mutex
	seen []http.Header
}

func (h *headers) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen = append(h.seen, r.Header.Clone())
		h.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (h *headers) last(tb testing.TB) http.Header {
	tb.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		tb.Fatal("no request seen")
	}
	return h.seen[len(h.seen)-1]
}

// MustClientOf serves s's handler behind a header recorder and returns a client of it.
func MustClientOf(tb testing.TB, s *Server, token string) (*ghttp.Client, *headers) {
	tb.Helper()
	h := &headers{}
	ts := httptest.NewServer(h.wrap(s.Handler()))
	tb.Cleanup(ts.Close)
	c, err := ghttp.NewClient(ts.URL)
	if err != nil {
		tb.Fatal(err)
	}
	c.Token = token
	return c, h
}

func TestNewClient(t *testing.T) {
	for addr, want := range map[string]string{
		"http://127.0.0.1:8080":         "http://127.0.0.1:8080",
		"http://127.0.0.1:8080/":        "http://127.0.0.1:8080",
		"127.0.0.1:8080":                "http://127.0.0.1:8080",
		"https://galaxy.example/prefix": "https://galaxy.example/prefix",
	} {
		c, err := ghttp.NewClient(addr)
		if err != nil || c.URL() != want {
			t.Errorf("NewClient(%q): got %v %v, want %s", addr, c, err, want)
		}
	}
	for _, addr := range []string{"ftp://x", "http://", "http://user:pw@host", "http://h/?q=1", "://"} {
		if _, err := ghttp.NewClient(addr); orchestrator.ErrorCode(err) != orchestrator.EINVALID {
			t.Errorf("NewClient(%q): got %v, want invalid", addr, err)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("NewClient(%q): the error shows the password: %v", addr, err)
		}
	}
}

func TestClient_Game(t *testing.T) {
	s := MustOpenServer(t)
	c, h := MustClientOf(t, s, AdminToken)
	ctx := context.Background()
	want := newGameView(gameID)

	t.Run("Create", func(t *testing.T) {
		var gotIn orchestrator.GameInput
		var gotKey string
		s.GameService.CreateGameFn = func(_ context.Context, in orchestrator.GameInput, key string) (*orchestrator.GameView, bool, error) {
			gotIn, gotKey = in, key
			return want, key != "replay", nil
		}
		in := validGameInput()
		v, created, err := c.CreateGame(ctx, in, "k-1")
		if err != nil || !created || !reflect.DeepEqual(v, want) {
			t.Fatalf("got %+v %t %v", v, created, err)
		}
		if !reflect.DeepEqual(gotIn, in) || gotKey != "k-1" {
			t.Fatalf("service got %+v key %q", gotIn, gotKey)
		}
		hd := h.last(t)
		if hd.Get("Content-Type") != "application/json" || hd.Get("Authorization") != "Bearer "+AdminToken {
			t.Fatalf("headers: %v", hd)
		}
		if _, created, err := c.CreateGame(ctx, in, "replay"); err != nil || created {
			t.Fatalf("replay: created %t, %v; want false (200)", created, err)
		}
		if _, _, err := c.CreateGame(ctx, in, ""); err != nil || h.last(t).Get(ghttp.IdempotencyKeyHeader) != "" {
			t.Fatalf("no key: %v, header %q", err, h.last(t).Get(ghttp.IdempotencyKeyHeader))
		}
	})
	t.Run("Get", func(t *testing.T) {
		s.GameService.GameFn = func(_ context.Context, id uuid.UUID) (*orchestrator.GameView, error) {
			if id != gameID {
				return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no game %s", id)
			}
			return want, nil
		}
		if v, err := c.Game(ctx, gameID); err != nil || !reflect.DeepEqual(v, want) {
			t.Fatalf("got %+v %v", v, err)
		}
		if hd := h.last(t); hd.Get("Content-Type") != "" {
			t.Fatalf("a GET sent Content-Type %q", hd.Get("Content-Type"))
		}
		if _, err := c.Game(ctx, uuid.New()); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
			t.Fatalf("unknown game: got %v", err)
		}
	})
	t.Run("Ops", func(t *testing.T) {
		var calls []string
		op := func(name string) func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error) {
			return func(_ context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
				calls = append(calls, name+" "+id.String()+" "+string(src))
				return newOperation(id, orchestrator.Op(name), src), nil
			}
		}
		s.GameService.StartFn, s.GameService.StopFn, s.GameService.RestartFn = op("start"), op("stop"), op("restart")
		s.GameService.ForceNextTurnFn, s.GameService.RemoveFn = op("force_next_turn"), op("remove")
		s.GameService.PatchFn = func(_ context.Context, id uuid.UUID, v string, src orchestrator.Source) (*orchestrator.Operation, error) {
			calls = append(calls, "patch "+v)
			return newOperation(id, orchestrator.OpPatch, src), nil
		}
		for name, call := range map[string]func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error){
			"start": c.Start, "stop": c.Stop, "restart": c.Restart, "force_next_turn": c.ForceNextTurn, "remove": c.Remove,
			"patch": func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
				return c.Patch(ctx, id, "1.2.4", src)
			},
		} {
			calls = nil
			o, err := call(ctx, gameID, orchestrator.SourceLobby) // the token decides the source
			if err != nil || o.ID != opID || o.Op != orchestrator.Op(name) || o.Source != orchestrator.SourceAdmin {
				t.Fatalf("%s: got %+v %v", name, o, err)
			}
			if wantCall := name + " " + gameID.String() + " admin"; name == "patch" && calls[0] != "patch 1.2.4" || name != "patch" && calls[0] != wantCall {
				t.Fatalf("%s: service calls %q", name, calls)
			}
		}
	})
	t.Run("PauseResume", func(t *testing.T) {
		paused := *want.Runtime
		paused.Paused = true
		s.GameService.PauseFn = func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.GameView, error) {
			return &orchestrator.GameView{Game: want.Game, Runtime: &paused}, nil
		}
		s.GameService.ResumeFn = func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.GameView, error) {
			return nil, orchestrator.Errorf(orchestrator.ECONFLICT, "the game was removed")
		}
		if v, err := c.Pause(ctx, gameID, ""); err != nil || !v.Runtime.Paused {
			t.Fatalf("pause: %+v %v", v, err)
		}
		if _, err := c.Resume(ctx, gameID, ""); orchestrator.ErrorCode(err) != orchestrator.ECONFLICT {
			t.Fatalf("resume: %v", err)
		}
	})
	t.Run("Operations", func(t *testing.T) {
		var gotLimit int
		s.GameService.OperationsFn = func(_ context.Context, id uuid.UUID, limit int) ([]*orchestrator.Operation, error) {
			gotLimit = limit
			return []*orchestrator.Operation{newOperation(id, orchestrator.OpStart, orchestrator.SourceAdmin)}, nil
		}
		s.GameService.OperationFn = func(_ context.Context, id uuid.UUID) (*orchestrator.Operation, error) {
			return newOperation(gameID, orchestrator.OpStart, orchestrator.SourceAdmin), nil
		}
		if ops, err := c.Operations(ctx, gameID, 7); err != nil || len(ops) != 1 || gotLimit != 7 {
			t.Fatalf("got %v %v (limit %d)", ops, err, gotLimit)
		}
		if o, err := c.Operation(ctx, opID); err != nil || o.ID != opID {
			t.Fatalf("got %+v %v", o, err)
		}
	})
}

func TestClient_Games(t *testing.T) {
	s := MustOpenServer(t)
	c := MustClient(t, s, LobbyToken)
	ctx := context.Background()
	// Seven games in ID order; every other one is running.
	var all []*orchestrator.GameView
	for i := range 7 {
		v := newGameView(uuid.MustParse("0190f5d2-0000-7000-8000-00000000000" + string(rune('1'+i))))
		if i%2 == 0 {
			v.Runtime.Status = orchestrator.StatusRunning
		}
		all = append(all, v)
	}
	var filters []orchestrator.GameFilter
	s.GameService.GamesFn = func(_ context.Context, f orchestrator.GameFilter) (*orchestrator.GamePage, error) {
		filters = append(filters, f)
		// As the service does: up to f.Limit games that pass the filter, after f.After,
		// and the cursor of the next page while games follow.
		page := &orchestrator.GamePage{}
		for _, g := range all {
			if bytes.Compare(g.ID[:], f.After[:]) <= 0 || !f.Keep(orchestrator.RuntimeKey{Status: g.Runtime.Status}) {
				continue
			}
			if len(page.Games) == f.Limit {
				page.Next = page.Games[len(page.Games)-1].ID
				break
			}
			page.Games = append(page.Games, g)
		}
		return page, nil
	}
	t.Run("Page", func(t *testing.T) {
		filters = nil
		page, err := c.Games(ctx, orchestrator.GameFilter{Status: "running", Limit: 1, After: all[0].ID})
		if err != nil || len(page.Games) != 1 || page.Games[0].ID != all[2].ID || page.Next != all[2].ID {
			t.Fatalf("got %+v, %v", page, err)
		}
		if want := (orchestrator.GameFilter{Status: "running", Limit: 1, After: all[0].ID}); filters[0] != want {
			t.Fatalf("filter: got %+v, want %+v", filters[0], want)
		}
	})
	t.Run("Filters", func(t *testing.T) {
		filters = nil
		yes := true
		if _, err := c.Games(ctx, orchestrator.GameFilter{Paused: &yes, Node: "node-1"}); err != nil {
			t.Fatal(err)
		}
		if f := filters[0]; f.Paused == nil || !*f.Paused || f.Node != "node-1" {
			t.Fatalf("filter: got %+v", f)
		}
	})
	t.Run("EachGame", func(t *testing.T) {
		filters = nil
		var got []uuid.UUID
		for g, err := range c.EachGame(ctx, orchestrator.GameFilter{Status: "running", Limit: 2}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, g.ID)
		}
		if want := []uuid.UUID{all[0].ID, all[2].ID, all[4].ID, all[6].ID}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		// Two pages of two, filtered by the server, the second after the first's cursor.
		if len(filters) != 2 || filters[0].Status != "running" || filters[1].After != all[2].ID {
			t.Fatalf("pages: %+v", filters)
		}
	})
	t.Run("EachGameStops", func(t *testing.T) {
		filters = nil
		for range c.EachGame(ctx, orchestrator.GameFilter{Limit: 2}) {
			break
		}
		if len(filters) != 1 {
			t.Fatalf("pages after a break: %d", len(filters))
		}
	})
}

func TestClient_Errors(t *testing.T) {
	s := MustOpenServer(t)
	c := MustClient(t, s, AdminToken)
	ctx := context.Background()
	t.Run("Coded", func(t *testing.T) {
		for _, want := range []*orchestrator.Error{
			{Code: orchestrator.EINVALID, Message: "orders rejected", Field: "orders", Details: []orchestrator.Detail{{Index: 1, Field: "type", Message: "unknown order"}}},
			{Code: orchestrator.ENOTFOUND, Message: "no such game"},
			{Code: orchestrator.ECONFLICT, Message: "turn 3 is not open; the open turn is 4", Field: "turn"},
			{Code: orchestrator.EGAMEPAUSED, Message: "the game is paused"},
			{Code: orchestrator.EOVERLOADED, Message: "queue full"},
			{Code: orchestrator.ESTORAGE, Message: "disk full"},
			{Code: orchestrator.EENGINEUNREACHABLE, Message: "no answer"},
		} {
			s.PlayerService.SubmitOrdersFn = func(context.Context, uuid.UUID, uuid.UUID, orchestrator.OrdersInput) (*engine.OrdersResult, error) {
				return nil, want
			}
			turn := 3
			_, err := c.SubmitOrders(ctx, gameID, user1, orchestrator.OrdersInput{Turn: &turn})
			var got *orchestrator.Error
			if !errors.As(err, &got) || !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", err, want)
			}
		}
	})
	t.Run("Internal", func(t *testing.T) {
		s.GameService.GameFn = func(context.Context, uuid.UUID) (*orchestrator.GameView, error) {
			return nil, errBoom
		}
		_, err := c.Game(ctx, gameID)
		if orchestrator.ErrorCode(err) != orchestrator.EINTERNAL || strings.Contains(err.Error(), "secret.db") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Unauthorized", func(t *testing.T) {
		c := MustClient(t, s, "wrong-token-123")
		_, err := c.EngineVersions(ctx)
		if orchestrator.ErrorCode(err) != orchestrator.EUNAUTHORIZED || strings.Contains(err.Error(), "wrong-token-123") {
			t.Fatalf("got %v", err)
		}
		c.Token = LobbyToken
		if _, err := c.EngineVersions(ctx); orchestrator.ErrorCode(err) != orchestrator.EFORBIDDEN {
			t.Fatalf("lobby token on an admin route: got %v", err)
		}
	})
	t.Run("NotAnAPIError", func(t *testing.T) {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>bad gateway</html>")
		}))
		defer proxy.Close()
		c, _ := ghttp.NewClient(proxy.URL)
		_, err := c.Game(ctx, gameID)
		if orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE || !strings.Contains(err.Error(), "502") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		c, _ := ghttp.NewClient("http://127.0.0.1:1")
		c.Token = AdminToken
		_, err := c.Game(ctx, gameID)
		var coded *orchestrator.Error
		if err == nil || errors.As(err, &coded) || !errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), AdminToken) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestClient_Player(t *testing.T) {
	s := MustOpenServer(t)
	c, h := MustClientOf(t, s, LobbyToken)
	ctx := context.Background()
	t.Run("Orders", func(t *testing.T) {
		var got orchestrator.OrdersInput
		s.PlayerService.SubmitOrdersFn = func(_ context.Context, g, u uuid.UUID, in orchestrator.OrdersInput) (*engine.OrdersResult, error) {
			if g != gameID || u != user1 {
				return nil, orchestrator.Errorf(orchestrator.EFORBIDDEN, "wrong user")
			}
			got = in
			return &engine.OrdersResult{Turn: *in.Turn, Accepted: len(in.Orders), Final: in.Final}, nil
		}
		turn := 0
		orders := []json.RawMessage{json.RawMessage(`{"type":"produce","what":"<CAP>"}`)}
		res, err := c.SubmitOrders(ctx, gameID, user1, orchestrator.OrdersInput{Turn: &turn, Orders: orders, Final: true})
		if err != nil || res.Accepted != 1 || !res.Final || *got.Turn != 0 || string(got.Orders[0]) != string(orders[0]) {
			t.Fatalf("got %+v %v, service got %+v", res, err, got)
		}
		if hd := h.last(t); hd.Get(ghttp.UserHeader) != user1.String() || hd.Get("Content-Type") != "application/json" {
			t.Fatalf("headers: %v", hd)
		}
		if _, err := c.SubmitOrders(ctx, gameID, user1, orchestrator.OrdersInput{Turn: &turn}); err != nil || got.Orders == nil {
			t.Fatalf("no orders: %v, sent %v", err, got.Orders)
		}
	})
	t.Run("Command", func(t *testing.T) {
		s.PlayerService.CommandFn = func(_ context.Context, _, _ uuid.UUID, cmd json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`{"echo":` + string(cmd) + `}`), nil
		}
		out, err := c.Command(ctx, gameID, user1, json.RawMessage(`{"type":"ping"}`))
		if err != nil || string(out) != `{"echo":{"type":"ping"}}` {
			t.Fatalf("got %s %v", out, err)
		}
	})
	var gotTurn *int
	t.Run("Report", func(t *testing.T) {
		s.PlayerService.ReportFn = func(_ context.Context, _, _ uuid.UUID, q orchestrator.ReportQuery) (json.RawMessage, error) {
			gotTurn = q.Turn
			if q.Format == orchestrator.ReportText {
				return json.RawMessage("Zorg Report for Galaxy turn 0\n"), nil
			}
			return json.RawMessage(`{"turn":0, "race":{"name":"Zorg"}}`), nil
		}
		turn := 0
		out, err := c.Report(ctx, gameID, user1, orchestrator.ReportQuery{Turn: &turn})
		if err != nil || string(out) != `{"turn":0, "race":{"name":"Zorg"}}` || gotTurn == nil || *gotTurn != 0 {
			t.Fatalf("got %s %v (turn %v)", out, err, gotTurn)
		}
		if _, err := c.Report(ctx, gameID, user1, orchestrator.ReportQuery{}); err != nil || gotTurn != nil {
			t.Fatalf("latest: %v, turn %v", err, gotTurn)
		}
	})
	t.Run("ReportText", func(t *testing.T) {
		turn := 0
		out, err := c.ReportText(ctx, gameID, user1, orchestrator.ReportQuery{Turn: &turn})
		if err != nil || string(out) != "Zorg Report for Galaxy turn 0\n" || *gotTurn != 0 {
			t.Fatalf("got %q %v", out, err)
		}
		// As in-process: the format of the query decides.
		out, err = c.Report(ctx, gameID, user1, orchestrator.ReportQuery{Format: orchestrator.ReportText})
		if err != nil || string(out) != "Zorg Report for Galaxy turn 0\n" {
			t.Fatalf("Report with format text: got %q %v", out, err)
		}
	})
	t.Run("ReportTextUnsupported", func(t *testing.T) {
		// An older galaxyd ignored format=text and answered the JSON report.
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"turn":3}`)
		}))
		defer ts.Close()
		c, _ := ghttp.NewClient(ts.URL)
		_, err := c.ReportText(ctx, gameID, user1, orchestrator.ReportQuery{})
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "does not serve text reports") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestClient_EngineVersions(t *testing.T) {
	s := MustOpenServer(t)
	c := MustClient(t, s, AdminToken)
	ctx := context.Background()
	stored := map[string]*orchestrator.EngineVersion{}
	s.EngineVersionService.CreateEngineVersionFn = func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
		if stored[v.Version] != nil {
			return nil, &orchestrator.Error{Code: orchestrator.ECONFLICT, Field: "version", Message: "exists"}
		}
		stored[v.Version] = v
		return v, nil
	}
	s.EngineVersionService.PutEngineVersionFn = func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
		stored[v.Version] = v
		return v, nil
	}
	s.EngineVersionService.EngineVersionFn = func(_ context.Context, version string) (*orchestrator.EngineVersion, error) {
		if v := stored[version]; v != nil {
			return v, nil
		}
		return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no version %s", version)
	}
	s.EngineVersionService.EngineVersionsFn = func(context.Context) ([]*orchestrator.EngineVersion, error) {
		return []*orchestrator.EngineVersion{stored["1.2.3"]}, nil
	}
	s.EngineVersionService.DeleteEngineVersionFn = func(_ context.Context, version string) error {
		delete(stored, version)
		return nil
	}
	v := &orchestrator.EngineVersion{Version: "1.2.3", Command: "/bin/engine", Enabled: false, Notes: "n",
		SettingsSchema: json.RawMessage(`{"type":"object"}`)}
	if got, err := c.CreateEngineVersion(ctx, v); err != nil || got.Enabled || string(got.SettingsSchema) != `{"type":"object"}` {
		t.Fatalf("create: %+v %v", got, err)
	}
	if _, err := c.CreateEngineVersion(ctx, v); orchestrator.ErrorCode(err) != orchestrator.ECONFLICT {
		t.Fatalf("create again: %v", err)
	}
	v2 := *v
	v2.Enabled = true
	if got, err := c.PutEngineVersion(ctx, &v2); err != nil || !got.Enabled || !stored["1.2.3"].Enabled {
		t.Fatalf("put: %+v %v", got, err)
	}
	if got, err := c.EngineVersion(ctx, "1.2.3"); err != nil || got.Command != "/bin/engine" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if l, err := c.EngineVersions(ctx); err != nil || len(l) != 1 {
		t.Fatalf("list: %v %v", l, err)
	}
	if err := c.DeleteEngineVersion(ctx, "1.2.3"); err != nil || stored["1.2.3"] != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.EngineVersion(ctx, "1.2.3"); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Fatalf("get deleted: %v", err)
	}
}

func TestClient_Reconcile(t *testing.T) {
	s := MustOpenServer(t)
	c := MustClient(t, s, AdminToken)
	var last *orchestrator.ReconcileReport
	s.ReconcileService.LastReconcileFn = func() *orchestrator.ReconcileReport { return last }
	s.ReconcileService.ReconcileFn = func(context.Context) (*orchestrator.ReconcileReport, error) {
		last = &orchestrator.ReconcileReport{StartedAt: now, Games: 3, Restarted: []uuid.UUID{gameID}}
		return last, nil
	}
	if got := c.LastReconcile(); got != nil {
		t.Fatalf("before a pass: %+v", got)
	}
	if _, err := c.LastReconcileReport(context.Background()); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Fatalf("before a pass: %v", err)
	}
	if rep, err := c.Reconcile(context.Background()); err != nil || rep.Games != 3 || rep.Restarted[0] != gameID {
		t.Fatalf("reconcile: %+v %v", rep, err)
	}
	if got := c.LastReconcile(); got == nil || got.Games != 3 {
		t.Fatalf("after a pass: %+v", got)
	}
}

func TestClient_ReadyAndBackup(t *testing.T) {
	s := NewServer(t)
	ready := errors.New("not yet")
	s.Ready = func(context.Context) error { return ready }
	s.Backup = func(_ context.Context, w io.Writer) (int64, error) {
		n, err := io.WriteString(w, "bolt file bytes")
		return int64(n), err
	}
	MustOpen(t, s)
	c := MustClient(t, s, AdminToken)
	ctx := context.Background()
	if err := c.Ready(ctx); orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE {
		t.Fatalf("not ready: got %v", err)
	}
	ready = nil
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("ready: got %v", err)
	}
	var buf bytes.Buffer
	if n, err := c.Backup(ctx, &buf); err != nil || n != 15 || buf.String() != "bolt file bytes" {
		t.Fatalf("backup: %d %v %q", n, err, buf.String())
	}
	c.Token = LobbyToken
	if _, err := c.Backup(ctx, &buf); orchestrator.ErrorCode(err) != orchestrator.EFORBIDDEN {
		t.Fatalf("backup with the lobby token: %v", err)
	}
}
