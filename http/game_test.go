package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestCreateGame(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		var gotIn orchestrator.GameInput
		var gotKey = "unset"
		s.GameService.CreateGameFn = func(_ context.Context, in orchestrator.GameInput, key string) (*orchestrator.GameView, bool, error) {
			gotIn, gotKey = in, key
			return newGameView(gameID), true, nil
		}
		resp, body := MustDo(t, s.Request(t, "POST", "/api/v1/games", LobbyToken, validGameInput()))
		MustStatus(t, resp, body, http.StatusCreated)
		v := MustUnmarshal[orchestrator.GameView](t, body)
		if got, want := v.ID, gameID; got != want {
			t.Fatalf("id: got %s, want %s", got, want)
		}
		if v.Runtime == nil || v.Runtime.Status != orchestrator.StatusCreated {
			t.Fatalf("runtime: got %+v, want status created", v.Runtime)
		}
		if got, want := resp.Header.Get("Location"), "/api/v1/games/"+gameID.String(); got != want {
			t.Fatalf("Location: got %q, want %q", got, want)
		}
		if got, want := gotIn.Schedule.Timezone, "Europe/Berlin"; got != want {
			t.Fatalf("input timezone: got %q, want %q", got, want)
		}
		if gotKey != "" {
			t.Fatalf("idempotency key: got %q, want empty", gotKey)
		}
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		s := MustOpenServer(t)
		var keys []string
		s.GameService.CreateGameFn = func(_ context.Context, _ orchestrator.GameInput, key string) (*orchestrator.GameView, bool, error) {
			keys = append(keys, key)
			return newGameView(gameID), len(keys) == 1, nil // the second call is a replay
		}
		for i, want := range []int{http.StatusCreated, http.StatusOK} {
			req := s.Request(t, "POST", "/api/v1/games", LobbyToken, validGameInput())
			req.Header.Set("Idempotency-Key", "lobby-create-9")
			resp, body := MustDo(t, req)
			MustStatus(t, resp, body, want)
			if got := MustUnmarshal[orchestrator.GameView](t, body).ID; got != gameID {
				t.Fatalf("call %d: id: got %s, want %s", i, got, gameID)
			}
		}
		if len(keys) != 2 || keys[0] != "lobby-create-9" || keys[1] != "lobby-create-9" {
			t.Fatalf("keys: got %q", keys)
		}
	})
	t.Run("ErrIdempotencyKey", func(t *testing.T) {
		s := MustOpenServer(t)
		for _, key := range []string{strings.Repeat("k", 201), "with space", "tab\tkey"} {
			req := s.Request(t, "POST", "/api/v1/games", LobbyToken, validGameInput())
			req.Header.Set("Idempotency-Key", key)
			resp, body := MustDo(t, req)
			MustError(t, resp, body, http.StatusBadRequest, "invalid", "Idempotency-Key")
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenServer(t)
		s.GameService.CreateGameFn = func(_ context.Context, in orchestrator.GameInput, _ string) (*orchestrator.GameView, bool, error) {
			return nil, false, in.Validate()
		}
		in := validGameInput()
		in.Players[1].RaceName = "has space"
		resp, body := s.Do(t, "POST", "/api/v1/games", in)
		MustError(t, resp, body, http.StatusBadRequest, "invalid", "players[1].raceName")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenServer(t)
		s.GameService.CreateGameFn = func(context.Context, orchestrator.GameInput, string) (*orchestrator.GameView, bool, error) {
			return nil, false, &orchestrator.Error{Code: orchestrator.ENOTFOUND, Field: "engineVersion", Message: "unknown engine version"}
		}
		resp, body := s.Do(t, "POST", "/api/v1/games", validGameInput())
		MustError(t, resp, body, http.StatusNotFound, "not_found", "engineVersion")
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := MustOpenServer(t)
		s.GameService.CreateGameFn = func(context.Context, orchestrator.GameInput, string) (*orchestrator.GameView, bool, error) {
			return nil, false, orchestrator.Errorf(orchestrator.ECONFLICT, "idempotency key reused with another body")
		}
		resp, body := s.Do(t, "POST", "/api/v1/games", validGameInput())
		MustError(t, resp, body, http.StatusConflict, "conflict", "")
	})
}

func TestListGames(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		after := uuid.New()
		var got orchestrator.GameFilter
		s.GameService.GamesFn = func(_ context.Context, f orchestrator.GameFilter) (*orchestrator.GamePage, error) {
			got = f
			return &orchestrator.GamePage{Games: []*orchestrator.GameView{newGameView(gameID)}, Next: gameID}, nil
		}
		resp, body := MustDo(t, s.Request(t, "GET", "/api/v1/games?status=asleep&paused=false&node=n1&limit=10&after="+after.String(), LobbyToken, nil))
		MustStatus(t, resp, body, http.StatusOK)
		if got.Paused == nil || *got.Paused {
			t.Fatalf("paused: got %v, want false", got.Paused)
		}
		got.Paused = nil
		if want := (orchestrator.GameFilter{Status: "asleep", Node: "n1", Limit: 10, After: after}); got != want {
			t.Fatalf("filter: got %+v, want %+v", got, want)
		}
		if l := MustUnmarshal[ghttp.GameList](t, body); len(l.Games) != 1 || l.Games[0].ID != gameID || l.Next != gameID {
			t.Fatalf("games: got %s", body)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		s := MustOpenServer(t)
		var got orchestrator.GameFilter
		s.GameService.GamesFn = func(_ context.Context, f orchestrator.GameFilter) (*orchestrator.GamePage, error) {
			got = f
			return &orchestrator.GamePage{}, nil
		}
		resp, body := s.Do(t, "GET", "/api/v1/games", nil)
		MustStatus(t, resp, body, http.StatusOK)
		if got, want := strings.TrimSpace(string(body)), `{"games":[]}`; got != want {
			t.Fatalf("body: got %s, want %s", got, want)
		}
		if got.Limit != ghttp.DefaultListLimit {
			t.Fatalf("limit: got %d, want %d", got.Limit, ghttp.DefaultListLimit)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenServer(t)
		for query, field := range map[string]string{
			"status=sleeping": "status", "limit=-1": "limit", "limit=abc": "limit",
			"limit=1001": "limit", "after=xyz": "after", "paused=maybe": "paused",
			"node=" + strings.Repeat("n", 201): "node",
		} {
			resp, body := s.Do(t, "GET", "/api/v1/games?"+query, nil)
			MustError(t, resp, body, http.StatusBadRequest, "invalid", field)
		}
	})
}

func TestGetGame(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		s.GameService.GameFn = func(_ context.Context, id uuid.UUID) (*orchestrator.GameView, error) {
			return newGameView(id), nil
		}
		resp, body := MustDo(t, s.Request(t, "GET", gamePath, LobbyToken, nil))
		MustStatus(t, resp, body, http.StatusOK)
		v := MustUnmarshal[orchestrator.GameView](t, body)
		if v.ID != gameID || len(v.Players) != 2 || v.Runtime.GameID != gameID {
			t.Fatalf("game: got %s", body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenServer(t)
		s.GameService.GameFn = func(_ context.Context, id uuid.UUID) (*orchestrator.GameView, error) {
			return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "game %s not found", id)
		}
		resp, body := s.Do(t, "GET", gamePath, nil)
		MustError(t, resp, body, http.StatusNotFound, "not_found", "")
	})
	t.Run("ErrMalformedID", func(t *testing.T) {
		s := MustOpenServer(t)
		for _, id := range []string{"nope", "1234", "0190f5d2-7a3b-7c4d-8e9f-a0b1c2d3e4fZ", "%20"} {
			resp, body := s.Do(t, "GET", "/api/v1/games/"+id, nil)
			MustError(t, resp, body, http.StatusBadRequest, "invalid", "id")
		}
	})
}

// TestGameOps covers the routes that queue an operation: 202, the operation, Location.
func TestGameOps(t *testing.T) {
	cases := []struct {
		name, method, path string
		body               any
		op                 orchestrator.Op
		set                func(s *Server, fn func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error))
	}{
		{"Start", "POST", "/start", nil, orchestrator.OpStart, func(s *Server, fn func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error)) {
			s.GameService.StartFn = fn
		}},
		{"Stop", "POST", "/stop", nil, orchestrator.OpStop, func(s *Server, fn func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error)) {
			s.GameService.StopFn = fn
		}},
		{"Restart", "POST", "/restart", nil, orchestrator.OpRestart, func(s *Server, fn func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error)) {
			s.GameService.RestartFn = fn
		}},
		{"ForceNextTurn", "POST", "/force-next-turn", nil, orchestrator.OpForceNextTurn, func(s *Server, fn func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error)) {
			s.GameService.ForceNextTurnFn = fn
		}},
		{"Remove", "DELETE", "", nil, orchestrator.OpRemove, func(s *Server, fn func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error)) {
			s.GameService.RemoveFn = fn
		}},
		{"Patch", "POST", "/patch", `{"version":"1.2.4"}`, orchestrator.OpPatch, func(s *Server, fn func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error)) {
			s.GameService.PatchFn = func(ctx context.Context, id uuid.UUID, version string, src orchestrator.Source) (*orchestrator.Operation, error) {
				if version != "1.2.4" {
					return nil, orchestrator.Errorf(orchestrator.EINTERNAL, "version %q", version)
				}
				return fn(ctx, id, src)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("OK", func(t *testing.T) {
				s := MustOpenServer(t)
				var gotID uuid.UUID
				tc.set(s, func(_ context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
					gotID = id
					return newOperation(id, tc.op, src), nil
				})
				resp, body := s.Do(t, tc.method, gamePath+tc.path, tc.body)
				MustStatus(t, resp, body, http.StatusAccepted)
				if gotID != gameID {
					t.Fatalf("game id: got %s, want %s", gotID, gameID)
				}
				op := MustUnmarshal[orchestrator.Operation](t, body)
				if op.ID != opID || op.Op != tc.op || op.Status != orchestrator.OpQueued || op.Source != orchestrator.SourceAdmin {
					t.Fatalf("operation: got %s", body)
				}
				if got, want := resp.Header.Get("Location"), "/api/v1/operations/"+opID.String(); got != want {
					t.Fatalf("Location: got %q, want %q", got, want)
				}
			})
			for name, code := range map[string]string{
				"ErrNotFound": orchestrator.ENOTFOUND, "ErrConflict": orchestrator.ECONFLICT, "ErrOverloaded": orchestrator.EOVERLOADED,
			} {
				t.Run(name, func(t *testing.T) {
					s := MustOpenServer(t)
					tc.set(s, func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error) {
						return nil, orchestrator.Errorf(code, "refused")
					})
					resp, body := s.Do(t, tc.method, gamePath+tc.path, tc.body)
					MustError(t, resp, body, ghttp.ErrorStatus(code), code, "")
				})
			}
			t.Run("ErrMalformedID", func(t *testing.T) {
				s := MustOpenServer(t)
				resp, body := s.Do(t, tc.method, "/api/v1/games/not-a-uuid"+tc.path, tc.body)
				MustError(t, resp, body, http.StatusBadRequest, "invalid", "id")
			})
		})
	}
}

func TestPatch(t *testing.T) {
	s := MustOpenServer(t)
	cases := []struct {
		name, body, field string
	}{
		{"ErrEmptyBody", ``, ""},
		{"ErrNoVersion", `{}`, "version"},
		{"ErrBadVersion", `{"version":"v1.2"}`, "version"},
		{"ErrUnknownField", `{"version":"1.2.4","force":true}`, "force"},
		{"ErrVersionType", `{"version":124}`, "version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s.Do(t, "POST", gamePath+"/patch", tc.body)
			MustError(t, resp, body, http.StatusBadRequest, "invalid", tc.field)
		})
	}
	t.Run("ErrConflict", func(t *testing.T) {
		s.GameService.PatchFn = func(context.Context, uuid.UUID, string, orchestrator.Source) (*orchestrator.Operation, error) {
			return nil, orchestrator.CheckPatch("1.2.3", "1.3.0")
		}
		resp, body := s.Do(t, "POST", gamePath+"/patch", `{"version":"1.3.0"}`)
		MustError(t, resp, body, http.StatusConflict, "conflict", "version")
	})
}

func TestPauseResume(t *testing.T) {
	for _, name := range []string{"pause", "resume"} {
		t.Run(name, func(t *testing.T) {
			t.Run("OK", func(t *testing.T) {
				s := MustOpenServer(t)
				fn := func(_ context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.GameView, error) {
					if src != orchestrator.SourceLobby {
						t.Errorf("source: got %q, want lobby", src)
					}
					v := newGameView(id)
					v.Runtime.Paused = name == "pause"
					return v, nil
				}
				s.GameService.PauseFn, s.GameService.ResumeFn = fn, fn
				resp, body := MustDo(t, s.Request(t, "POST", gamePath+"/"+name, LobbyToken, nil))
				MustStatus(t, resp, body, http.StatusOK)
				if got, want := MustUnmarshal[orchestrator.GameView](t, body).Runtime.Paused, name == "pause"; got != want {
					t.Fatalf("paused: got %v, want %v", got, want)
				}
			})
			t.Run("ErrConflict", func(t *testing.T) {
				s := MustOpenServer(t)
				fn := func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.GameView, error) {
					return nil, orchestrator.Errorf(orchestrator.ECONFLICT, "game is removed")
				}
				s.GameService.PauseFn, s.GameService.ResumeFn = fn, fn
				resp, body := s.Do(t, "POST", gamePath+"/"+name, nil)
				MustError(t, resp, body, http.StatusConflict, "conflict", "")
			})
			t.Run("ErrNotFound", func(t *testing.T) {
				s := MustOpenServer(t)
				fn := func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.GameView, error) {
					return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no game")
				}
				s.GameService.PauseFn, s.GameService.ResumeFn = fn, fn
				resp, body := s.Do(t, "POST", gamePath+"/"+name, nil)
				MustError(t, resp, body, http.StatusNotFound, "not_found", "")
			})
			t.Run("ErrMalformedID", func(t *testing.T) {
				s := MustOpenServer(t)
				resp, body := s.Do(t, "POST", "/api/v1/games/x/"+name, nil)
				MustError(t, resp, body, http.StatusBadRequest, "invalid", "id")
			})
		})
	}
}
