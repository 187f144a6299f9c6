package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/mock"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// TestGuard replays what a web page on another site can make a browser send to a
// galaxyd on 127.0.0.1 — a "simple" cross-site POST (text/plain, or a form), a
// request with a foreign Origin, a DNS-rebinding Host — and checks each is refused
// before any service is called.
func TestGuard(t *testing.T) {
	called := false
	versions := &mock.EngineVersionService{
		CreateEngineVersionFn: func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
			called = true
			return v, nil
		},
	}
	s := ghttp.NewServer(ghttp.Config{Addr: "127.0.0.1:0", LoopbackOnly: true, EngineVersionService: versions})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	body := `{"version":"6.6.6","command":"/tmp/evil.sh"}`
	for _, tc := range []struct {
		name, contentType, origin, host string
		status                          int
		field                           string
	}{
		{"text/plain from another site", "text/plain", "http://evil.example", "", http.StatusForbidden, "Origin"},
		{"text/plain without Origin", "text/plain", "", "", http.StatusUnsupportedMediaType, "Content-Type"},
		{"form", "application/x-www-form-urlencoded", "", "", http.StatusUnsupportedMediaType, "Content-Type"},
		{"no Content-Type", "", "", "", http.StatusUnsupportedMediaType, "Content-Type"},
		{"JSON from another site", "application/json", "http://evil.example", "", http.StatusForbidden, "Origin"},
		{"null origin", "application/json", "null", "", http.StatusForbidden, "Origin"},
		{"DNS rebinding", "application/json", "", "evil.example:8080", http.StatusForbidden, ""},
		{"DNS rebinding, same-origin page", "application/json", "http://evil.example:8080", "evil.example:8080", http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.URL()+"/api/v1/engine-versions", strings.NewReader(body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, b := MustDo(t, req)
			code := "forbidden"
			if tc.status == http.StatusUnsupportedMediaType {
				code = "unsupported_media_type"
			}
			MustError(t, resp, b, tc.status, code, tc.field)
			if called {
				t.Fatal("the service was called")
			}
		})
	}
	// What galaxyctl, the lobby and galaxyd's own pages send goes through.
	for _, tc := range []struct{ origin, host string }{{"", ""}, {s.URL(), ""}, {"", "localhost:1"}, {"", "[::1]:8080"}} {
		req, _ := http.NewRequest("POST", s.URL()+"/api/v1/engine-versions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, b := MustDo(t, req)
		MustStatus(t, resp, b, http.StatusCreated)
	}
}
