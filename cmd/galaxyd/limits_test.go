package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// TestPlayerBodyLimits: an order body well under galaxyd's limit, full of characters
// JSON encoders like to escape ("<", ">", "&"), reaches the engine as it is — the
// player gets the engine's per-order verdict, not a 502 because the forwarded body grew
// past the engine's limit.
func TestPlayerBodyLimits(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	id := MustStartGame(t, a, yearly, "Limits")
	user := a.game(id).Players[0].UserID
	// Sent as written: json.Marshal would escape it on our side already.
	name := strings.Repeat("<&>", 60_000) // 180 KB; 1.08 MB once HTML-escaped
	code, body := a.raw("POST", "/api/v1/games/"+id.String()+"/orders", user,
		`{"turn":0,"orders":[{"type":"rename_planet","planet":"1","name":"`+name+`"}]}`)
	if code != http.StatusBadRequest || !strings.Contains(string(body), `"code":"`+orchestrator.EINVALID+`"`) || !strings.Contains(string(body), `"details"`) {
		t.Fatalf("a 180 KB order: %d %.300s, want 400 with the engine's per-order details", code, body)
	}
	// Past the player routes' limit: 413 from galaxyd, before the engine is asked.
	huge := strings.Repeat("x", 1<<20)
	code, body = a.raw("POST", "/api/v1/games/"+id.String()+"/orders", user,
		`{"turn":0,"orders":[{"type":"rename_planet","planet":"1","name":"`+huge+`"}]}`)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 1 MiB order: %d %.300s, want 413", code, body)
	}
}

// raw sends body exactly as given, as JSON.
func (a api) raw(method, path string, user uuid.UUID, body string) (int, []byte) {
	a.tb.Helper()
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		a.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != uuid.Nil {
		req.Header.Set("X-Galaxy-User", user.String())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestDevRefusesCrossSite replays the blind cross-site request that once registered
// an attacker's engine command on a -dev galaxyd (no tokens): refused, nothing stored.
func TestDevRefusesCrossSite(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	for _, h := range []map[string]string{
		{"Origin": "http://evil.example", "Content-Type": "text/plain"},
		{"Content-Type": "text/plain"},
		{"Host": "rebound.example:8080", "Content-Type": "application/json"},
	} {
		req, _ := http.NewRequest("POST", a.base+"/api/v1/engine-versions", strings.NewReader(`{"version":"6.6.6","command":"/bin/sh"}`))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.Host = h["Host"]
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("cross-site request %v: %d, want 403 or 415", h, resp.StatusCode)
		}
	}
	if code, _ := a.do("GET", "/api/v1/engine-versions/6.6.6", uuid.Nil, nil); code != http.StatusNotFound {
		t.Fatalf("the attacker's version: %d, want 404 (never registered)", code)
	}
}
