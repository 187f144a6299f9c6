package main

import (
	"net/http"
	"strings"
	"testing"
)

// reportJSON is a report in the reference engine's shape (engine/game.Report).
const reportJSON = `{"gameId":"` + gameID + `","turn":3,"finished":false,"race":{"id":"33333333-3333-4333-8333-333333333333","name":"Zorg",` +
	`"home":12,"tech":{"drive":1.2,"weapons":1,"shields":1,"cargo":1},"population":812.5,"industry":601.25},"size":100,` +
	`"planets":[{"number":12,"name":"Zorgon","x":10.5,"y":20,"size":1000,"resources":10,"owner":"Zorg","producing":"SHIP","ship":"Drone",` +
	`"pop":812.5,"ind":601.25,"cap":0,"mat":3.5,"col":0,"production":654.06}],"otherPlanets":[],"races":["Zorg","Blip"],` +
	`"status":[{"name":"Zorg","tech":{"drive":1.2,"weapons":1,"shields":1,"cargo":1},"population":812.5,"industry":601.25,"planets":1},` +
	`{"name":"Blip","tech":{"drive":1,"weapons":1,"shields":1,"cargo":1},"population":0,"industry":0,"planets":0,"stance":"war","out":true}],` +
	`"messages":[{"from":"Blip","broadcast":true,"text":"peace?"}],"rejectedOrders":[{"order":{"type":"produce","planet":99},"reason":"no planet 99"}],` +
	`"designs":[],"alienDesigns":[],"groups":[{"number":1,"ships":3,"design":"Drone","tech":{"drive":1,"weapons":0,"shields":0,"cargo":0},` +
	`"planet":14,"dist":4.25,"from":12,"fleet":"Alpha","speed":20,"mass":1}],"fleets":[{"name":"Alpha","speed":20,"groups":[1]}],` +
	`"battles":[],"bombings":[],"incoming":[],"alienPlanets":[],"unidentifiedPlanets":[],"uninhabitedPlanets":[],"alienGroups":[]}`

func TestReport(t *testing.T) {
	path := "GET /api/v1/games/" + gameID + "/report"
	t.Run("Table", func(t *testing.T) {
		a := NewAPI(t)
		a.On(path, 200, reportJSON)
		code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID, "-turn", "3")
		MustCode(t, code, exitOK, stdout, stderr)
		req := a.Last(t)
		if req.Query != "turn=3" || req.Header.Get("X-Galaxy-User") != userID {
			t.Fatalf("request: got %+v", req)
		}
		MustLines(t, stdout,
			`^Race +\= Zorg$`, `^Turn +\= 3$`, `^Home planet +\= 12$`, `^Population +\= 812\.50$`, `^Tech D/W/S/C +\= 1\.20/1\.00/1\.00/1\.00$`,
			`^Races$`, `^RACE +PLANETS +POPULATION`, `^Zorg +1 +812\.50 +601\.25 +1\.20/1\.00/1\.00/1\.00 +-$`, `^Blip \(out\) +0 .* war$`,
			`^Planets$`, `^12 +Zorgon +10\.50 +20\.00 +1000\.00 +10\.00 +812\.50 +601\.25 +0\.00 +3\.50 +0\.00 +SHIP Drone$`,
			`^Groups$`, `^1 +3 +Drone +12→14, 4\.25 ly to go +Alpha +20\.00$`,
			`^Fleets$`, `^Alpha +20\.00 +1$`,
			`^Messages$`, `^Blip +peace\?$`,
			`^Rejected orders$`, `^\{"type":"produce","planet":99\} +no planet 99$`)
		if strings.Contains(stdout, "Battles") || strings.Contains(stdout, "Game over") {
			t.Fatalf("empty sections shown:\n%s", stdout)
		}
	})
	t.Run("TurnZero", func(t *testing.T) {
		a := NewAPI(t)
		a.On(path, 200, reportJSON)
		MustRun(t, a, "report", gameID, "-user", userID, "-turn", "0")
		if q := a.Last(t).Query; q != "turn=0" {
			t.Fatalf("query: got %q, want turn=0 (turn 0 is a turn)", q)
		}
		MustRun(t, a, "report", gameID, "-user", userID)
		if q := a.Last(t).Query; q != "" {
			t.Fatalf("query: got %q, want none (the last turn)", q)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		a := NewAPI(t)
		a.On(path, 200, `{"turn":3,"planets":[{"name":"P1"}]}`)
		code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID, "-json")
		MustCode(t, code, exitOK, stdout, stderr)
		if got, want := stdout, `{"turn":3,"planets":[{"name":"P1"}]}`+"\n"; got != want {
			t.Fatalf("stdout: got %q, want the engine's JSON as is %q", got, want)
		}
	})
	t.Run("Template", func(t *testing.T) {
		a := NewAPI(t)
		a.On(path, 200, reportJSON)
		code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID, "-t", "{{.race.name}} {{.turn}}")
		MustCode(t, code, exitOK, stdout, stderr)
		if stdout != "Zorg 3\n" {
			t.Fatalf("stdout: %q", stdout)
		}
	})
	t.Run("OtherEngine", func(t *testing.T) {
		a := NewAPI(t)
		a.On(path, 200, `{"turn":3,"planets":[{"name":"P1"}]}`)
		code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID)
		MustCode(t, code, exitOK, stdout, stderr)
		if !strings.Contains(stdout, "\n  \"turn\": 3,") {
			t.Fatalf("stdout: got %q, want indented JSON", stdout)
		}
	})
	t.Run("Text", func(t *testing.T) {
		a := NewAPI(t)
		a.Handle[path] = func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("format") != "text" {
				Reply(w, 200, reportJSON)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("           Zorg Report for Galaxy Game  Turn 3\n"))
		}
		code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID, "-text")
		MustCode(t, code, exitOK, stdout, stderr)
		if stdout != "           Zorg Report for Galaxy Game  Turn 3\n" {
			t.Fatalf("stdout: %q", stdout)
		}
	})
	t.Run("ErrTextUnsupported", func(t *testing.T) {
		a := NewAPI(t)
		a.On(path, 200, reportJSON) // galaxyd ignores format=text today
		code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID, "-text")
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.Contains(stderr, "this galaxyd does not serve text reports") || !strings.Contains(stderr, "-json") || stdout != "" {
			t.Fatalf("stdout %q, stderr %q", stdout, stderr)
		}
		if q := a.Last(t).Query; !strings.Contains(q, "format=text") {
			t.Fatalf("query: %q", q)
		}
	})
	t.Run("ErrNoUser", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, nil, "report", gameID)
		MustCode(t, code, exitError, stdout, stderr)
	})
	t.Run("ErrNotRunning", func(t *testing.T) {
		a := NewAPI(t)
		a.On(path, 409, `{"error":{"code":"game_not_running","message":"the game is not running (status stopped)"}}`)
		code, stdout, stderr := MustRun(t, a, "report", gameID, "-user", userID)
		MustCode(t, code, exitError, stdout, stderr)
		if stderr != "Error: game_not_running: the game is not running (status stopped)\n" {
			t.Fatalf("stderr: %q", stderr)
		}
	})
}
