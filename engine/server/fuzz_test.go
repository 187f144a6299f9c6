package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// fuzzActor is the player id of the race the fuzzers act as.
var fuzzActor = uuid.MustParse("0f0f0f0f-0000-4000-8000-00000000f022")

// fuzzSend posts body to path and fails on a 5xx (a panic in a handler is a 500 too) or
// an error answer that is not an engine.ErrorBody with a code and a message.
func fuzzSend(t *testing.T, h http.Handler, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", path, strings.NewReader(body)))
	if w.Code >= 500 {
		t.Fatalf("POST %s with %q: status %d: %s", path, body, w.Code, w.Body)
	}
	if w.Code >= 400 {
		var e engine.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("POST %s with %q: status %d, body %s is not an engine error", path, body, w.Code, w.Body)
		}
	}
	return w
}

// FuzzPlayerRoutes drives the engine's player routes with an initialised game: orders
// is put in a well-formed orders body (so that it reaches the rules) and in a command
// body; body is sent as is. Bad input is a 4xx with the engine's error shape, never a
// 5xx; a 400 for orders names the bad ones.
func FuzzPlayerRoutes(f *testing.F) {
	for _, s := range []string{
		`[]`, `null`, `[{"type":"produce","planet":1,"what":"CAP"}]`, `[{"type":"rename_planet","planet":"#1","name":"X"}]`,
		`[{}]`, `[1]`, `{"type":"rename_race","name":"Zorg"}`, `{"type":"message","text":"hi"}`, `{}`, `"x"`, `1e400`,
		`[{"type":"produce","planet":1e400,"what":"CAP"}]`, `[{"type":"produce","planet":"\ud800","what":"CAP"}]`,
		`[{"type":"design","name":"G","drive":4,"attacks":2,"weapons":2,"shields":4,"cargo":1},{"type":"produce","planet":1,"what":"G"}]`,
		`[{"type":"send","group":"MAX","planet":2,"ships":1},{"type":"intercept","fleet":"F","planet":3},{"type":"recall","group":1}]`,
		`[{"type":"load","group":1,"cargo":"COL","amount":0.5},{"type":"unload","group":1},{"type":"route","planet":1,"cargo":"EMP","to":2}]`,
		`[{"type":"create_fleet","fleet":"F"},{"type":"join_fleet","group":1,"fleet":"F"},{"type":"upgrade","group":1,"ships":0}]`,
		`[{"type":"war","race":"Other"},{"type":"peace","race":"Other"},{"type":"claim","planet":2},{"type":"quit","race":"Fuzz"}]`,
	} {
		f.Add(s, `{"actor":"`+fuzzActor.String()+`","turn":0,"orders":`+s+`}`)
	}
	for _, s := range []string{``, ` `, `{`, `[]`, `null`, `{"actor":null}`, `{"actor":"00000000-0000-0000-0000-000000000000","turn":0}`,
		`{"actor":"x","turn":0}`, `{"actor":"` + fuzzActor.String() + `"}`, `{"actor":"` + fuzzActor.String() + `","turn":-1,"orders":[]}`,
		`{"actor":"` + fuzzActor.String() + `","turn":0,"orders":[]}{}`, `{"turn":1e400}`, `{"turn":"0"}`, "\xff\xfe"} {
		f.Add(`[]`, s)
	}
	s, _ := MustServer(f)
	init := engine.InitRequest{GameID: uuid.New(), Settings: map[string]any{"seed": 7}, Races: []engine.Race{
		{RaceName: "Fuzz", PlayerID: fuzzActor}, {RaceName: "Other", PlayerID: uuid.New()}}}
	if w := do(f, s, "POST", "/api/v1/admin/init", init); w.Code != http.StatusCreated {
		f.Fatalf("init: status = %d, want 201: %s", w.Code, w.Body)
	}
	f.Fuzz(func(t *testing.T, orders, body string) {
		s.mu.Lock()
		turn := s.game.Turn // body may have generated turns (admin/turn below)
		s.mu.Unlock()
		w := fuzzSend(t, s, "/api/v1/orders", fmt.Sprintf(`{"actor":"%s","turn":%d,"orders":%s}`, fuzzActor, turn, orders))
		if w.Code == 400 {
			var e engine.ErrorBody
			json.Unmarshal(w.Body.Bytes(), &e)
			var raw []json.RawMessage
			if json.Unmarshal([]byte(orders), &raw) == nil && len(raw) > 0 && len(raw) <= 1000 && e.Error.Code == engine.CodeInvalid && len(e.Error.Details) == 0 {
				t.Fatalf("orders %s: 400 without per-order details: %s", orders, w.Body)
			}
		}
		fuzzSend(t, s, "/api/v1/commands", `{"actor":"`+fuzzActor.String()+`","command":`+orders+`}`)
		fuzzSend(t, s, "/api/v1/orders", body)
		fuzzSend(t, s, "/api/v1/commands", body)
		fuzzSend(t, s, "/api/v1/admin/turn", body)
	})
}

// FuzzInit sends body to admin/init of an engine without a game, which must answer 201
// or a 4xx; after a 201 the game is dropped again so that the next input meets an
// engine without state too.
func FuzzInit(f *testing.F) {
	for _, s := range []string{
		`{"gameId":"6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10","races":[{"raceName":"A","playerId":"00000000-0000-0000-0000-000000000001"}]}`,
		`{"gameId":"6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10","races":[{"raceName":"A","playerId":"00000000-0000-0000-0000-000000000001"}],"settings":{"seed":1,"maxTurns":2}}`,
		`{"gameId":"6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10","races":[{"raceName":"A","playerId":"00000000-0000-0000-0000-000000000001"}],"settings":{"seed":-1,"maxTurns":1.5}}`,
		`{"gameId":"6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10","races":[{"raceName":"A","playerId":"00000000-0000-0000-0000-000000000001"}],"settings":{"seed":1e300}}`,
		`{"gameId":"00000000-0000-0000-0000-000000000000","races":[]}`, `{"gameId":"x"}`, `{"races":null}`,
		`{"gameId":"6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10","races":[{},{}]}`, `{}`, ``, `[]`, `{"settings":[]}`,
	} {
		f.Add(s)
	}
	s, dir := MustServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		w := fuzzSend(t, s, "/api/v1/admin/init", body)
		if w.Code == http.StatusCreated {
			s.mu.Lock()
			s.game, s.saved = nil, nil
			s.mu.Unlock()
			if err := os.Remove(filepath.Join(dir, StateFile)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzRestore sends body to admin/restore (with and without replace) on an engine that
// holds a game: a 4xx with the engine's error shape or a 2xx, never a 5xx; the game
// held is never replaced by one of another id.
func FuzzRestore(f *testing.F) {
	s, _ := MustServer(f)
	MustInitRaces(f, s, 2)
	snap := do(f, s, "GET", "/api/v1/admin/snapshot?reports=true", nil)
	if snap.Code != http.StatusOK {
		f.Fatalf("snapshot: %d %s", snap.Code, snap.Body)
	}
	doc := snap.Body.String()
	f.Add(doc)
	f.Add(strings.Replace(doc, `"schemaVersion":1`, `"schemaVersion":2`, 1))
	f.Add(strings.Replace(doc, `"turn":0`, `"turn":1`, 1))
	f.Add(strings.Replace(doc, `"version":1`, `"version":0`, 1))
	f.Add(`{"schemaVersion":1,"gameId":"6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10","turn":0,"finished":false,"state":{}}`)
	f.Add(`{"schemaVersion":1,"gameId":"6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10","turn":0,"state":null}`)
	f.Add(`{"schemaVersion":"1"}`)
	f.Add(`{}`)
	f.Add(``)
	s.mu.Lock()
	id := s.game.ID
	s.mu.Unlock()
	f.Fuzz(func(t *testing.T, body string) {
		fuzzSend(t, s, "/api/v1/admin/restore", body)
		fuzzSend(t, s, "/api/v1/admin/restore?replace=true", body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.game == nil || s.game.ID != id {
			t.Fatalf("the game held was replaced by %v", s.game)
		}
	})
}
