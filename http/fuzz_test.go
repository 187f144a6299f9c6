package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// fuzzHandler returns the server's handler with services that validate their input the
// way the real ones do, so the fuzzers reach past the decoder.
func fuzzHandler(tb testing.TB) http.Handler {
	tb.Helper()
	s := NewServer(tb)
	s.MockAll()
	s.GameService.CreateGameFn = func(_ context.Context, in orchestrator.GameInput, _ string) (*orchestrator.GameView, bool, error) {
		if err := in.Validate(); err != nil {
			return nil, false, err
		}
		return newGameView(gameID), true, nil
	}
	s.EngineVersionService.CreateEngineVersionFn = func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
		return v, v.Validate()
	}
	s.EngineVersionService.PutEngineVersionFn = s.EngineVersionService.CreateEngineVersionFn
	s.PlayerService.SubmitOrdersFn = func(_ context.Context, _, _ uuid.UUID, in orchestrator.OrdersInput) (*engine.OrdersResult, error) {
		if err := in.Validate(); err != nil {
			return nil, err
		}
		return &engine.OrdersResult{Turn: *in.Turn, Accepted: len(in.Orders)}, nil
	}
	return s.Handler()
}

// fuzzRequest sends body to method path and fails on any 5xx or a non-JSON error.
func fuzzRequest(t *testing.T, h http.Handler, method, path, body string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	req.Header.Set("X-Galaxy-User", user1.String())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code >= 500 {
		t.Fatalf("%s %s with %q: status %d, body %s", method, path, body, w.Code, w.Body)
	}
	if w.Code >= 400 {
		var e ghttp.ErrorResponse
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %s with %q: error body %s is not an API error", method, path, body, w.Body)
		}
	}
}

// seeds are bodies shared by the fuzzers: valid shapes, near-misses and hostile input.
var seeds = []string{
	``, `{}`, `null`, `[]`, `"x"`, `1`, `{"a":1}`, `{"a":1}{}`, `{`, `{"`, "\x00", "\xff\xfe",
	`{"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"Zorg"}],"engineVersion":"1.2.3","schedule":{"cron":"* * * * *","timezone":"UTC"}}`,
	`{"players":[{"userId":"nope"}]}`, `{"players":[null,{}]}`, `{"schedule":{"cron":"61 * * * *","timezone":"Mars/Olympus"}}`,
	`{"settings":{"a":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}}`, `{"settings":"x"}`, `{"earlyTurn":null}`,
	`{"turn":1e400}`, `{"turn":-0}`, `{"turn":9223372036854775808}`, `{"orders":[1,"a",null,{}]}`, `{"final":true,"turn":2,"orders":[]}`,
	`{"command":{"type":"rename"}}`, `{"command":null}`, `{"command":[]}`,
	`{"version":"1.2.3","command":"/bin/x"}`, `{"version":"1.2.3-rc.1+build.5","imageRef":"i","enabled":false,"notes":"n"}`,
	`{"version":"v1"}`, `{"version":1}`, `{"enabled":"no"}`, `{"Version":"1.2.3"}`,
	`{"engineVersion":"1.2.3","engineVersion":2}`, `{"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"` + strings.Repeat("\u00e9", 30) + `"}]}`,
}

func FuzzCreateGame(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body string) {
		fuzzRequest(t, h, "POST", "/api/v1/games", body)
	})
}

func FuzzSubmitOrders(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body string) {
		fuzzRequest(t, h, "POST", gamePath+"/orders", body)
		fuzzRequest(t, h, "POST", gamePath+"/commands", body)
	})
}

func FuzzEngineVersion(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "1.2.3")
	}
	f.Add(`{}`, "v1")
	f.Add(`{}`, "1.2.3-%00")
	f.Add(`{}`, "..%2F..")
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body, version string) {
		fuzzRequest(t, h, "POST", "/api/v1/engine-versions", body)
		fuzzRequest(t, h, "POST", gamePath+"/patch", body)
		if validPathSegment(version) {
			path := "/api/v1/engine-versions/" + version
			fuzzRequest(t, h, "PUT", path, body)
			fuzzRequest(t, h, "GET", path, "")
		}
	})
}

// validPathSegment keeps the fuzzer's version within what httptest.NewRequest can
// parse as a URL path segment; anything else never reaches the server.
func validPathSegment(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("/?#%\\", c) >= 0 {
			return false
		}
	}
	return true
}
