package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// route is one API route with a valid request for it and the role it needs.
type route struct {
	method, path string
	body         any
	admin        bool // admin token only
	player       bool // needs X-Galaxy-User
	status       int  // success status
}

var gamePath = "/api/v1/games/" + gameID.String()

var routes = []route{
	{"POST", "/api/v1/games", validGameInput(), false, false, http.StatusCreated},
	{"GET", "/api/v1/games", nil, false, false, http.StatusOK},
	{"GET", gamePath, nil, false, false, http.StatusOK},
	{"POST", gamePath + "/start", nil, false, false, http.StatusAccepted},
	{"POST", gamePath + "/stop", nil, false, false, http.StatusAccepted},
	{"POST", gamePath + "/pause", nil, false, false, http.StatusOK},
	{"POST", gamePath + "/resume", nil, false, false, http.StatusOK},
	{"POST", gamePath + "/orders", `{"turn":3,"orders":[{"type":"produce"}]}`, false, true, http.StatusOK},
	{"POST", gamePath + "/commands", `{"command":{"type":"rename"}}`, false, true, http.StatusOK},
	{"GET", gamePath + "/report?turn=2", nil, false, true, http.StatusOK},
	{"POST", gamePath + "/restart", nil, true, false, http.StatusAccepted},
	{"POST", gamePath + "/force-next-turn", nil, true, false, http.StatusAccepted},
	{"POST", gamePath + "/patch", `{"version":"1.2.4"}`, true, false, http.StatusAccepted},
	{"DELETE", gamePath, nil, true, false, http.StatusAccepted},
	{"GET", gamePath + "/operations", nil, true, false, http.StatusOK},
	{"GET", "/api/v1/operations/" + opID.String(), nil, true, false, http.StatusOK},
	{"GET", "/api/v1/engine-versions", nil, true, false, http.StatusOK},
	{"POST", "/api/v1/engine-versions", `{"version":"1.2.3","command":"/bin/engine"}`, true, false, http.StatusCreated},
	{"GET", "/api/v1/engine-versions/1.2.3", nil, true, false, http.StatusOK},
	{"PUT", "/api/v1/engine-versions/1.2.3", `{"imageRef":"ghcr.io/galaxy/engine:1.2.3","enabled":true}`, true, false, http.StatusOK},
	{"DELETE", "/api/v1/engine-versions/1.2.3", nil, true, false, http.StatusNoContent},
}

func validGameInput() orchestrator.GameInput {
	return orchestrator.GameInput{
		EngineVersion: "1.2.3",
		Schedule:      orchestrator.Schedule{Cron: "0 18 * * *", Timezone: "Europe/Berlin"},
		Players:       []orchestrator.PlayerInput{{UserID: user1, RaceName: "Zorg"}, {UserID: user2, RaceName: "Blip"}},
	}
}

// MockAll makes every service method succeed.
func (s *Server) MockAll() {
	op := func(kind orchestrator.Op) func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error) {
		return func(_ context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
			return newOperation(id, kind, src), nil
		}
	}
	view := func(_ context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.GameView, error) {
		return newGameView(id), nil
	}
	g := &s.GameService
	g.CreateGameFn = func(context.Context, orchestrator.GameInput, string) (*orchestrator.GameView, bool, error) {
		return newGameView(gameID), true, nil
	}
	g.GameFn = func(_ context.Context, id uuid.UUID) (*orchestrator.GameView, error) { return newGameView(id), nil }
	g.GamesFn = func(context.Context, orchestrator.GameFilter) (*orchestrator.GamePage, error) {
		return &orchestrator.GamePage{}, nil
	}
	g.StartFn, g.StopFn, g.RestartFn = op(orchestrator.OpStart), op(orchestrator.OpStop), op(orchestrator.OpRestart)
	g.ForceNextTurnFn, g.RemoveFn = op(orchestrator.OpForceNextTurn), op(orchestrator.OpRemove)
	g.PatchFn = func(_ context.Context, id uuid.UUID, _ string, src orchestrator.Source) (*orchestrator.Operation, error) {
		return newOperation(id, orchestrator.OpPatch, src), nil
	}
	g.PauseFn, g.ResumeFn = view, view
	g.OperationsFn = func(context.Context, uuid.UUID, int) ([]*orchestrator.Operation, error) { return nil, nil }
	g.OperationFn = func(_ context.Context, id uuid.UUID) (*orchestrator.Operation, error) {
		return newOperation(gameID, orchestrator.OpStart, orchestrator.SourceLobby), nil
	}
	p := &s.PlayerService
	p.SubmitOrdersFn = func(context.Context, uuid.UUID, uuid.UUID, orchestrator.OrdersInput) (*engine.OrdersResult, error) {
		return &engine.OrdersResult{Turn: 3, Accepted: 1}, nil
	}
	p.CommandFn = func(context.Context, uuid.UUID, uuid.UUID, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"ok":true}`), nil
	}
	p.ReportFn = func(context.Context, uuid.UUID, uuid.UUID, orchestrator.ReportQuery) (json.RawMessage, error) {
		return json.RawMessage(`{"turn":2}`), nil
	}
	v := &s.EngineVersionService
	ev := func() *orchestrator.EngineVersion {
		return &orchestrator.EngineVersion{Version: "1.2.3", Command: "/bin/engine", Enabled: true, CreatedAt: now, UpdatedAt: now}
	}
	v.EngineVersionsFn = func(context.Context) ([]*orchestrator.EngineVersion, error) { return nil, nil }
	v.EngineVersionFn = func(context.Context, string) (*orchestrator.EngineVersion, error) { return ev(), nil }
	v.CreateEngineVersionFn = func(_ context.Context, in *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
		return in, nil
	}
	v.PutEngineVersionFn = func(_ context.Context, in *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
		return in, nil
	}
	v.DeleteEngineVersionFn = func(context.Context, string) error { return nil }
}

// call sends rt with token.
func (s *Server) call(t *testing.T, rt route, token string) (*http.Response, []byte) {
	t.Helper()
	req := s.Request(t, rt.method, rt.path, token, rt.body)
	if rt.player {
		req.Header.Set("X-Galaxy-User", user1.String())
	}
	return MustDo(t, req)
}

func TestAuth(t *testing.T) {
	s := MustOpenServer(t)
	s.MockAll()
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			t.Run("ErrNoToken", func(t *testing.T) {
				resp, body := s.call(t, rt, "")
				MustError(t, resp, body, http.StatusUnauthorized, "unauthorized", "")
				if got, want := resp.Header.Get("WWW-Authenticate"), `Bearer realm="galaxy"`; got != want {
					t.Fatalf("WWW-Authenticate: got %q, want %q", got, want)
				}
			})
			t.Run("ErrWrongToken", func(t *testing.T) {
				resp, body := s.call(t, rt, "not-"+AdminToken)
				MustError(t, resp, body, http.StatusUnauthorized, "unauthorized", "")
			})
			t.Run("ErrWrongScheme", func(t *testing.T) {
				req := s.Request(t, rt.method, rt.path, "", rt.body)
				req.Header.Set("Authorization", "Basic "+AdminToken)
				resp, body := MustDo(t, req)
				MustError(t, resp, body, http.StatusUnauthorized, "unauthorized", "")
			})
			t.Run("LobbyToken", func(t *testing.T) {
				resp, body := s.call(t, rt, LobbyToken)
				if rt.admin {
					MustError(t, resp, body, http.StatusForbidden, "forbidden", "")
					return
				}
				MustStatus(t, resp, body, rt.status)
			})
			t.Run("AdminToken", func(t *testing.T) {
				resp, body := s.call(t, rt, AdminToken)
				MustStatus(t, resp, body, rt.status)
			})
		})
	}
}

func TestAuth_Off(t *testing.T) {
	s := NewServer(t)
	s.LobbyToken, s.AdminToken = "", ""
	MustOpen(t, s)
	s.MockAll()
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			resp, body := s.call(t, rt, "")
			MustStatus(t, resp, body, rt.status)
			// A token sent anyway is ignored rather than refused.
			resp, body = s.call(t, rt, "whatever")
			MustStatus(t, resp, body, rt.status)
		})
	}
}

func TestAuth_Source(t *testing.T) {
	cases := []struct {
		name, token, path string
		lobby, admin      string
		want              orchestrator.Source
	}{
		{"LobbyTokenOnLobbyRoute", LobbyToken, "/start", LobbyToken, AdminToken, orchestrator.SourceLobby},
		{"AdminTokenOnLobbyRoute", AdminToken, "/start", LobbyToken, AdminToken, orchestrator.SourceAdmin},
		{"AdminRoute", AdminToken, "/restart", LobbyToken, AdminToken, orchestrator.SourceAdmin},
		{"AuthOffLobbyRoute", "", "/start", "", "", orchestrator.SourceLobby},
		{"AuthOffAdminRoute", "", "/restart", "", "", orchestrator.SourceAdmin},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(t)
			s.LobbyToken, s.AdminToken = tc.lobby, tc.admin
			MustOpen(t, s)
			var got orchestrator.Source
			record := func(_ context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
				got = src
				return newOperation(id, orchestrator.OpStart, src), nil
			}
			s.GameService.StartFn, s.GameService.RestartFn = record, record
			resp, body := MustDo(t, s.Request(t, "POST", gamePath+tc.path, tc.token, nil))
			MustStatus(t, resp, body, http.StatusAccepted)
			if got != tc.want {
				t.Fatalf("source: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAuth_OnlyAdminTokenConfigured(t *testing.T) {
	s := NewServer(t)
	s.LobbyToken = ""
	MustOpen(t, s)
	s.MockAll()
	// An empty lobby token must not match an empty bearer.
	req := s.Request(t, "GET", "/api/v1/games", "", nil)
	req.Header.Set("Authorization", "Bearer ")
	resp, body := MustDo(t, req)
	MustError(t, resp, body, http.StatusUnauthorized, "unauthorized", "")
	resp, body = MustDo(t, s.Request(t, "GET", "/api/v1/games", AdminToken, nil))
	MustStatus(t, resp, body, http.StatusOK)
}

func TestAuth_PublicRoutes(t *testing.T) {
	s := MustOpenServer(t)
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/openapi.yaml"} {
		t.Run(path, func(t *testing.T) {
			resp, body := MustDo(t, s.Request(t, "GET", path, "", nil))
			MustStatus(t, resp, body, http.StatusOK)
		})
	}
}
