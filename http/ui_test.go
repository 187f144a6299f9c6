package http_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// uiGet asks the server's handler for path, as a browser would (a loopback Host).
func uiGet(t *testing.T, s *ghttp.Server, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w.Result()
}

// uiFiles lists the console's files as they are in the source tree, by their path
// under /ui/.
func uiFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir("ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[strings.TrimPrefix(filepath.ToSlash(p), "ui/")] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("console files: %d, want the console", len(files))
	}
	return files
}

// TestUI_Serves: /ui/ is the console's page and every file of it is served, with its
// content type, the strict Content-Security-Policy and an ETag that revalidates; no
// token is needed, even with tokens configured.
func TestUI_Serves(t *testing.T) {
	s := ghttp.NewServer(ghttp.Config{LobbyToken: "lobby", AdminToken: "admin", LoopbackOnly: true})
	types := map[string]string{".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
		".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
	for name, body := range uiFiles(t) {
		resp := uiGet(t, s, "/ui/"+name)
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(got) != body {
			t.Errorf("/ui/%s: %d, %d bytes, want 200 with the file's %d", name, resp.StatusCode, len(got), len(body))
			continue
		}
		if ct, want := resp.Header.Get("Content-Type"), types[path.Ext(name)]; ct != want {
			t.Errorf("/ui/%s: Content-Type %q, want %q", name, ct, want)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); csp != ghttp.UIContentSecurityPolicy {
			t.Errorf("/ui/%s: Content-Security-Policy %q", name, csp)
		}
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Errorf("/ui/%s: no ETag", name)
			continue
		}
		if again := uiGet(t, s, "/ui/"+name, "If-None-Match", etag); again.StatusCode != http.StatusNotModified {
			t.Errorf("/ui/%s with If-None-Match: %d, want 304", name, again.StatusCode)
		}
	}
	resp := uiGet(t, s, "/ui/")
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<script type="module" src="js/app.js">`) {
		t.Fatalf("/ui/: %d, want the console's page: %.200s", resp.StatusCode, page)
	}
	if !strings.Contains(ghttp.UIContentSecurityPolicy, "default-src 'self'") || strings.Contains(ghttp.UIContentSecurityPolicy, "unsafe") {
		t.Fatalf("Content-Security-Policy %q is not strict", ghttp.UIContentSecurityPolicy)
	}
}

// TestUI_Redirects: / and /ui lead to /ui/.
func TestUI_Redirects(t *testing.T) {
	s := ghttp.NewServer(ghttp.Config{})
	for _, p := range []string{"/", "/ui"} {
		resp := uiGet(t, s, p)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
			t.Errorf("GET %s: %d Location %q, want 302 to /ui/", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// TestUI_NotFound: a path that names no file — a directory, a missing file — is the
// API's 404, with the console's policy all the same; a way out of ui/ is cleaned away
// by the router (a redirect to the cleaned path, outside the console).
func TestUI_NotFound(t *testing.T) {
	s := ghttp.NewServer(ghttp.Config{})
	for _, p := range []string{"/ui/js/", "/ui/nope.js", "/ui/js", "/ui/index.html/"} {
		resp := uiGet(t, s, p)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: %d CSP %q, want 404 with the console's policy", p, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
	}
	for _, p := range []string{"/ui/%2e%2e/ui.go", "/ui/../http/ui.go"} {
		resp := uiGet(t, s, p)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusMovedPermanently || strings.Contains(loc, "/ui/") {
			t.Errorf("GET %s: %d Location %q, want a redirect out of /ui/", p, resp.StatusCode, loc)
		}
	}
	req := httptest.NewRequest("POST", "http://127.0.0.1/ui/", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /ui/: %d, want 405", w.Code)
	}
}

// TestUI_SelfContained: the console loads nothing from elsewhere and runs nothing
// inline — no script without src, no inline handler or style, no URL of another site
// (the SVG namespace is a name, not a fetch) — and every module it imports is one of
// its files.
func TestUI_SelfContained(t *testing.T) {
	files := uiFiles(t)
	url := regexp.MustCompile(`(?i)\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+\s*=\s*["']|\sstyle\s*=|javascript:|<style`)
	imports := regexp.MustCompile(`(?m)^import .* from "([^"]+)";`)
	for name, body := range files {
		for _, u := range url.FindAllString(body, -1) {
			if u != "http://www.w3.org" && u != "//www.w3.org" {
				t.Errorf("%s names another site: %s", name, u)
			}
		}
		if strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".svg") {
			if m := inline.FindString(body); m != "" {
				t.Errorf("%s has inline code or style: %q", name, m)
			}
		}
		if strings.HasSuffix(name, ".js") {
			for _, m := range imports.FindAllStringSubmatch(body, -1) {
				if _, ok := files[path.Join(path.Dir(name), m[1])]; !ok {
					t.Errorf("%s imports %s, which the console lacks", name, m[1])
				}
			}
			for _, bad := range []string{"innerHTML", "outerHTML =", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s uses %s", name, bad)
				}
			}
		}
	}
}

// uiCopy decodes the JSON between /* name:begin */ and /* name:end */ in a console file.
func uiCopy(t *testing.T, file, name string, v any) {
	t.Helper()
	_, rest, ok1 := strings.Cut(uiFiles(t)[file], "/* "+name+":begin */")
	text, _, ok2 := strings.Cut(rest, "/* "+name+":end */")
	if !ok1 || !ok2 {
		t.Fatalf("%s has no %s:begin … %s:end copy", file, name, name)
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		t.Fatalf("%s's %s is not JSON: %v", file, name, err)
	}
}

// TestUI_StatusesAreTheDomains: the games list offers exactly orchestrator.Statuses,
// in their order.
func TestUI_StatusesAreTheDomains(t *testing.T) {
	var statuses []string
	uiCopy(t, "js/games.js", "statuses", &statuses)
	if !slices.Equal(statuses, orchestrator.Statuses) {
		t.Fatalf("games.js lists statuses %v, the orchestrator %v", statuses, orchestrator.Statuses)
	}
}

// TestUI_LifecycleIsTheTable: the console's copy of the transition table
// (ui/js/lifecycle.js) allows each action in exactly the statuses the orchestrator's
// table does.
func TestUI_LifecycleIsTheTable(t *testing.T) {
	var allowed map[string][]string
	uiCopy(t, "js/lifecycle.js", "allowed", &allowed)
	actions := []orchestrator.Action{orchestrator.ActStart, orchestrator.ActStop, orchestrator.ActPause, orchestrator.ActResume,
		orchestrator.ActRestart, orchestrator.ActPatch, orchestrator.ActForceNextTurn, orchestrator.ActRemove}
	if len(allowed) != len(actions) {
		t.Errorf("lifecycle.js lists %d actions, want %d", len(allowed), len(actions))
	}
	for _, act := range actions {
		var want []string
		for _, st := range orchestrator.Statuses {
			if orchestrator.Transitions(act, st).Allowed() {
				want = append(want, st)
			}
		}
		if got := allowed[string(act)]; !slices.Equal(got, want) {
			t.Errorf("lifecycle.js allows %s in %v, the table in %v", act, got, want)
		}
	}
}
