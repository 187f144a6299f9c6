package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/mock"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// TestAgainstServer runs the CLI against the real HTTP server (with mock services), so
// the CLI's requests are checked by the API's strict decoder and auth.
func TestAgainstServer(t *testing.T) {
	var mu sync.Mutex
	versions := []*orchestrator.EngineVersion{}
	var created orchestrator.GameInput
	id := uuid.New()
	ops := &mock.GameService{
		CreateGameFn: func(_ context.Context, in orchestrator.GameInput, _ string) (*orchestrator.GameView, bool, error) {
			if err := in.Validate(); err != nil {
				return nil, false, err
			}
			mu.Lock()
			created = in
			mu.Unlock()
			g := &orchestrator.Game{ID: id, EngineVersion: in.EngineVersion, Schedule: in.Schedule}
			for _, p := range in.Players {
				g.Players = append(g.Players, orchestrator.Player{UserID: p.UserID, RaceName: p.RaceName, EnginePlayerID: uuid.New()})
			}
			return &orchestrator.GameView{Game: g, Runtime: &orchestrator.Runtime{GameID: id, Status: orchestrator.StatusCreated}}, true, nil
		},
		StartFn: func(_ context.Context, gid uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
			return &orchestrator.Operation{ID: uuid.MustParse(opID), GameID: gid, Op: orchestrator.OpStart, Source: src, Status: orchestrator.OpQueued}, nil
		},
		OperationFn: func(_ context.Context, oid uuid.UUID) (*orchestrator.Operation, error) {
			return &orchestrator.Operation{ID: oid, GameID: id, Op: orchestrator.OpStart, Status: orchestrator.OpSucceeded}, nil
		},
	}
	evs := &mock.EngineVersionService{
		CreateEngineVersionFn: func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
			if err := v.Validate(); err != nil {
				return nil, err
			}
			mu.Lock()
			defer mu.Unlock()
			versions = append(versions, v)
			return v, nil
		},
		EngineVersionsFn: func(context.Context) ([]*orchestrator.EngineVersion, error) {
			mu.Lock()
			defer mu.Unlock()
			return versions, nil
		},
	}
	players := &mock.PlayerService{
		SubmitOrdersFn: func(_ context.Context, _, _ uuid.UUID, in orchestrator.OrdersInput) (*engine.OrdersResult, error) {
			return &engine.OrdersResult{Turn: *in.Turn, Accepted: len(in.Orders), Final: in.Final}, nil
		},
	}
	s := ghttp.NewServer(ghttp.Config{Addr: "127.0.0.1:0", AdminToken: testToken, LobbyToken: "lobby",
		GameService: ops, EngineVersionService: evs, PlayerService: players})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	env := map[string]string{"GALAXY_ADDR": s.URL(), "GALAXY_TOKEN": testToken}
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] }); code != 0 {
			t.Fatalf("%q: exit %d\n%s%s", args, code, out.String(), errOut.String())
		}
		return out.String()
	}
	cli("engine", "add", "1.0.0", "-command", "/usr/local/bin/galaxy-engine")
	cli("engine", "add", "1.1.0", "-image", "ghcr.io/g/engine:1.1.0", "-notes", "newest")
	cli("engine", "add", "1.2.0", "-image", "ghcr.io/g/engine:1.2.0", "-disabled")
	out := cli("game", "create", "-demo", "-json")
	var v orchestrator.GameView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != id || created.EngineVersion != "1.1.0" || len(created.Players) != 3 {
		t.Fatalf("created: %+v", created)
	}
	if out := cli("game", "start", id.String(), "-wait"); !strings.Contains(out, "succeeded") {
		t.Fatalf("start: %q", out)
	}
	stdin = strings.NewReader(`[{"type":"produce"}]`)
	t.Cleanup(func() { stdin = os.Stdin })
	user := created.Players[0].UserID.String()
	if out := cli("orders", "submit", id.String(), "-user", user, "-turn", "1", "-final", "-"); !strings.Contains(out, "1 order(s) accepted") {
		t.Fatalf("orders: %q", out)
	}

	// The lobby token is refused on an admin route, with the API's error.
	env["GALAXY_TOKEN"] = "lobby"
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"engine", "list"}, &o, &e, func(k string) string { return env[k] }); code != exitError ||
		!strings.HasPrefix(e.String(), "Error: forbidden: ") {
		t.Fatalf("lobby on admin route: exit %d, stderr %q", code, e.String())
	}
}
