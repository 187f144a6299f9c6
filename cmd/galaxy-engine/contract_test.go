package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestInit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		p := MustStart(t, t.TempDir(), "")
		a := p.call(t, "POST", "/api/v1/admin/init", initBody(map[string]any{"seed": 1}))
		MustStatus(t, a, http.StatusCreated)
		st := decode[state](t, a)
		if st.GameID != testGameID || st.Turn != 0 || st.Finished || len(st.Players) != 2 {
			t.Fatalf("state = %+v, want game %s at turn 0 with 2 players", st, testGameID)
		}
		if got, want := st.Players[0].Planets, 1; got != want {
			t.Fatalf("planets = %d, want %d", got, want)
		}
	})
	p := MustStart(t, t.TempDir(), "")
	for name, tc := range map[string]struct {
		body any
		want string
	}{
		"ErrMissingGameID":   {map[string]any{"races": initBody(nil)["races"]}, "gameId"},
		"ErrMalformedGameID": {map[string]any{"gameId": "nope", "races": initBody(nil)["races"]}, "gameId"},
		"ErrZeroGameID":      {map[string]any{"gameId": "00000000-0000-0000-0000-000000000000", "races": initBody(nil)["races"]}, "gameId"},
		"ErrNoRaces":         {map[string]any{"gameId": testGameID, "races": []any{}}, "races"},
		"ErrDuplicateRace": {map[string]any{"gameId": testGameID, "races": []map[string]any{
			{"raceName": "Zorg", "playerId": actorA}, {"raceName": "ZORG", "playerId": actorB}}}, "twice"},
		"ErrInvalidRace": {map[string]any{"gameId": testGameID, "races": []map[string]any{
			{"raceName": "Two words", "playerId": actorA}}}, "races"},
		"ErrBadSettings": {initBody(map[string]any{"seed": "x"}), "settings"},
		"ErrBadJSON":     {`{"gameId":`, "malformed JSON: unexpected EOF"},
		"ErrEmptyBody":   {``, "empty"},
	} {
		t.Run(name, func(t *testing.T) {
			a := p.call(t, "POST", "/api/v1/admin/init", tc.body)
			MustStatus(t, a, http.StatusBadRequest)
			if _, msg, details := a.errorBody(t); !strings.Contains(fmt.Sprint(msg, details), tc.want) {
				t.Fatalf("error = %s, want it to mention %q", a.Body, tc.want)
			}
		})
	}
	t.Run("ErrTooLarge", func(t *testing.T) {
		big := `{"gameId":"` + testGameID + `","settings":{"x":"` + strings.Repeat("a", 1<<20) + `"}}`
		MustStatus(t, p.call(t, "POST", "/api/v1/admin/init", big), http.StatusRequestEntityTooLarge)
	})
	t.Run("ErrExists", func(t *testing.T) {
		p, _ := MustInit(t, "", nil)
		MustStatus(t, p.call(t, "POST", "/api/v1/admin/init", initBody(nil)), http.StatusConflict)
		other := initBody(nil)
		other["gameId"] = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
		MustStatus(t, p.call(t, "POST", "/api/v1/admin/init", other), http.StatusConflict)
	})
	t.Run("ErrNotAllowed", func(t *testing.T) {
		a, err := http.Get(p.base + "/api/v1/admin/init")
		if err != nil {
			t.Fatal(err)
		}
		a.Body.Close()
		if got, want := a.StatusCode, http.StatusMethodNotAllowed; got != want {
			t.Fatalf("status = %d, want %d", got, want)
		}
	})
}

func TestAuth(t *testing.T) {
	p, _ := MustInit(t, "s3cret-token", nil)
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/admin/init"}, {"GET", "/api/v1/admin/state"}, {"POST", "/api/v1/admin/turn"},
		{"POST", "/api/v1/orders"}, {"POST", "/api/v1/commands"}, {"GET", "/api/v1/report?actor=" + actorA},
		{"GET", "/api/v1/admin/snapshot"}, {"POST", "/api/v1/admin/restore"},
	}
	for _, r := range routes {
		t.Run("ErrNoToken"+r.path, func(t *testing.T) {
			a := p.callAs(t, "", r.method, r.path, `{}`)
			MustStatus(t, a, http.StatusUnauthorized)
			if bytes.Contains(a.Body, []byte("s3cret")) {
				t.Fatal("the error shows the token")
			}
		})
		t.Run("ErrWrongToken"+r.path, func(t *testing.T) {
			MustStatus(t, p.callAs(t, "s3cret-tokeN", r.method, r.path, `{}`), http.StatusUnauthorized)
		})
	}
	t.Run("OK", func(t *testing.T) {
		MustStatus(t, p.call(t, "GET", "/api/v1/admin/state", nil), http.StatusOK)
	})
	t.Run("OK/HealthzOpen", func(t *testing.T) {
		MustStatus(t, p.callAs(t, "", "GET", "/healthz", nil), http.StatusOK)
	})
	if strings.Contains(p.stderr.String(), "s3cret") {
		t.Fatal("the log shows the token")
	}
}

func TestTurn(t *testing.T) {
	t.Run("ErrBeforeInit", func(t *testing.T) {
		p := MustStart(t, t.TempDir(), "")
		MustCode(t, p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 1}), http.StatusNotFound, "not_initialised")
		MustCode(t, p.call(t, "GET", "/api/v1/admin/state", nil), http.StatusNotFound, "not_initialised")
		MustCode(t, p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": 0, "orders": []any{}}), http.StatusNotFound, "not_initialised")
		MustCode(t, p.call(t, "GET", "/api/v1/report?actor="+actorA, nil), http.StatusNotFound, "not_initialised")
		MustCode(t, p.call(t, "POST", "/api/v1/commands", map[string]any{"actor": actorA, "command": map[string]any{"type": "message", "text": "x"}}), http.StatusNotFound, "not_initialised")
	})
	p, _ := MustInit(t, "tok", map[string]any{"seed": 7, "maxTurns": 3})
	t.Run("OK", func(t *testing.T) {
		a := p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 1})
		MustStatus(t, a, http.StatusOK)
		if got, want := decode[state](t, a).Turn, 1; got != want {
			t.Fatalf("turn = %d, want %d", got, want)
		}
	})
	t.Run("OK/Replay", func(t *testing.T) {
		before := p.call(t, "GET", "/api/v1/admin/state", nil)
		a := p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 1})
		MustStatus(t, a, http.StatusOK)
		if !bytes.Equal(a.Body, before.Body) {
			t.Fatalf("replayed turn answered %s, want the unchanged state %s", a.Body, before.Body)
		}
	})
	for name, n := range map[string]int{"ErrSkip": 3, "ErrBehind": 0} {
		t.Run(name, func(t *testing.T) {
			a := p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": n})
			MustStatus(t, a, http.StatusConflict)
			if _, msg, _ := a.errorBody(t); !strings.Contains(msg, "current turn is 1") {
				t.Fatalf("message = %q, want it to name the current turn 1", msg)
			}
		})
	}
	t.Run("ErrMissingTurn", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/admin/turn", `{}`), http.StatusBadRequest)
	})
	t.Run("ErrFinished", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 2}), http.StatusOK)
		a := p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 3})
		if st := decode[state](t, a); !st.Finished || st.Turn != 3 || len(st.Winners) != 2 {
			t.Fatalf("state = %+v, want finished at turn 3, both races winning (equal production)", st)
		}
		MustStatus(t, p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 4}), http.StatusConflict)
		MustStatus(t, p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": 3, "orders": []any{}}), http.StatusConflict)
	})
}

func TestOrders(t *testing.T) {
	p, _ := MustInit(t, "tok", map[string]any{"seed": 11})
	home, other := homeOf(t, p, actorA), homeOf(t, p, actorB)
	t.Run("OK/AppliedNextTurn", func(t *testing.T) {
		a := p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": 0, "final": true, "orders": []any{
			map[string]any{"type": "produce", "planet": fmt.Sprint(home), "what": "WEAPONS"},
		}})
		MustStatus(t, a, http.StatusOK)
		res := decode[struct {
			Accepted        int
			Final, AllFinal bool
		}](t, a)
		if res.Accepted != 1 || !res.Final || res.AllFinal {
			t.Fatalf("result = %+v, want 1 accepted, final, not all final", res)
		}
		st := decode[state](t, p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 1}))
		if got, want := st.Players[0].Tech.Weapons, 1.2; got != want {
			t.Fatalf("weapons = %v, want %v (the WEAPONS order applied at turn 1)", got, want)
		}
		if got, want := st.Players[0].Tech.Drive, 1.0; got != want {
			t.Fatalf("drive = %v, want %v", got, want)
		}
		if got, want := st.Players[1].Tech.Drive, 1.2; got != want {
			t.Fatalf("other race drive = %v, want %v", got, want)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		a := p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": 1, "orders": []any{
			map[string]any{"type": "produce", "planet": "Nowhere", "what": "CAP"},
			map[string]any{"type": "produce", "planet": other, "what": "CAP"},
			map[string]any{"type": "produce", "planet": home, "what": "GOLD"},
			map[string]any{"type": "warp"},
		}})
		MustStatus(t, a, http.StatusBadRequest)
		_, _, details := a.errorBody(t)
		want := []string{"unknown planet", "not yours", "unknown product", "unknown order type"}
		if got := len(details); got != len(want) {
			t.Fatalf("details = %v, want %d", details, len(want))
		}
		for i, d := range details {
			if d["index"] != float64(i) || !strings.Contains(fmt.Sprint(d["message"]), want[i]) {
				t.Fatalf("detail %d = %v, want index %d mentioning %q", i, d, i, want[i])
			}
		}
	})
	for name, turn := range map[string]int{"ErrPastTurn": 0, "ErrFutureTurn": 2} {
		t.Run(name, func(t *testing.T) {
			a := p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": turn, "orders": []any{}})
			MustCode(t, a, http.StatusConflict, "conflict")
			if _, msg, _ := a.errorBody(t); !strings.Contains(msg, "open turn is 1") {
				t.Fatalf("message %q should name the open turn 1", msg)
			}
		})
	}
	for name, body := range map[string]string{
		"ErrMissingTurn": `{"actor":"` + actorA + `","orders":[]}`,
		"ErrNullTurn":    `{"actor":"` + actorA + `","turn":null,"orders":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			a := p.call(t, "POST", "/api/v1/orders", body)
			MustCode(t, a, http.StatusBadRequest, "invalid")
			if _, _, details := a.errorBody(t); len(details) != 1 || details[0]["field"] != "turn" {
				t.Fatalf("error %s should name the field turn", a.Body)
			}
		})
	}
	t.Run("ErrUnknownActor", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": "33333333-3333-3333-3333-333333333333", "turn": 1, "orders": []any{}}), http.StatusForbidden)
	})
	t.Run("ErrBadJSON", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/orders", `{"actor":"`+actorA+`","turn":"one"}`), http.StatusBadRequest)
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/orders", bytes.Repeat([]byte(" "), 1<<20+1)), http.StatusRequestEntityTooLarge)
	})
	t.Run("OK/Ships", func(t *testing.T) {
		a := p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": 1, "orders": []any{
			map[string]any{"type": "design", "name": "Drone", "drive": 1, "attacks": 0, "weapons": 0, "shields": 0, "cargo": 0},
			map[string]any{"type": "produce", "planet": home, "what": "Drone"},
		}})
		MustStatus(t, a, http.StatusOK)
		MustStatus(t, p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 2}), http.StatusOK)
		rep := decode[struct {
			Groups []struct{ Ships, Planet int } `json:"groups"`
		}](t, p.call(t, "GET", "/api/v1/report?actor="+actorA, nil))
		if len(rep.Groups) != 1 || rep.Groups[0].Ships < 1 || rep.Groups[0].Planet != home {
			t.Fatalf("groups %+v, want drones at the home planet", rep.Groups)
		}
		a = p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": 2, "orders": []any{
			map[string]any{"type": "send", "group": "MAX", "planet": other, "ships": 1},
			map[string]any{"type": "send", "group": 99, "planet": other},
			map[string]any{"type": "design", "name": "Bad", "drive": 0.5, "attacks": 0, "weapons": 0, "shields": 0, "cargo": 0},
		}})
		MustStatus(t, a, http.StatusBadRequest)
		if _, _, d := a.errorBody(t); len(d) != 2 || d[0]["index"] != 1.0 || d[0]["field"] != "group" || d[1]["field"] != "drive" {
			t.Fatalf("details %v, want order 1 (group) and order 2 (drive)", d)
		}
	})
}

func TestCommands(t *testing.T) {
	p, _ := MustInit(t, "", nil)
	t.Run("OK/RenameRace", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/commands", map[string]any{"actor": actorA, "command": map[string]any{"type": "rename_race", "name": "Vogons"}}), http.StatusOK)
		if got, want := decode[state](t, p.call(t, "GET", "/api/v1/admin/state", nil)).Players[0].RaceName, "Vogons"; got != want {
			t.Fatalf("race name = %q, want %q", got, want)
		}
	})
	t.Run("OK/Message", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/commands", map[string]any{"actor": actorA, "command": map[string]any{"type": "message", "to": "Blip", "text": "hi"}}), http.StatusOK)
	})
	t.Run("ErrUnknownCommand", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/commands", map[string]any{"actor": actorA, "command": map[string]any{"type": "nuke"}}), http.StatusBadRequest)
	})
	t.Run("ErrUnknownActor", func(t *testing.T) {
		MustStatus(t, p.call(t, "POST", "/api/v1/commands", map[string]any{"actor": "33333333-3333-3333-3333-333333333333", "command": map[string]any{"type": "message", "text": "x"}}), http.StatusForbidden)
	})
}

func TestReport(t *testing.T) {
	p, _ := MustInit(t, "", map[string]any{"seed": 5})
	MustStatus(t, p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 1}), http.StatusOK)
	t.Run("OK", func(t *testing.T) {
		for _, turn := range []int{0, 1} {
			a := p.call(t, "GET", fmt.Sprintf("/api/v1/report?actor=%s&turn=%d", actorA, turn), nil)
			MustStatus(t, a, http.StatusOK)
			rep := decode[struct {
				Turn    int
				Planets []map[string]any
			}](t, a)
			if rep.Turn != turn || len(rep.Planets) != 1 {
				t.Fatalf("report = %s, want turn %d with one own planet", a.Body, turn)
			}
		}
	})
	t.Run("OK/LatestWithoutTurn", func(t *testing.T) {
		for _, q := range []string{"", "&turn="} {
			latest := p.call(t, "GET", "/api/v1/report?actor="+actorA+q, nil)
			if got := decode[struct{ Turn int }](t, latest).Turn; got != 1 {
				t.Fatalf("report%s is of turn %d, want the latest, 1", q, got)
			}
		}
	})
	t.Run("OK/TurnZero", func(t *testing.T) {
		a := p.call(t, "GET", "/api/v1/report?turn=0&actor="+actorA, nil)
		MustStatus(t, a, http.StatusOK)
		if got := decode[struct{ Turn int }](t, a).Turn; got != 0 {
			t.Fatalf("report of turn=0 is of turn %d", got)
		}
	})
	for name, q := range map[string]string{"ErrFutureTurn": "&turn=2", "ErrNegativeTurn": "&turn=-1"} {
		t.Run(name, func(t *testing.T) {
			MustCode(t, p.call(t, "GET", "/api/v1/report?actor="+actorA+q, nil), http.StatusNotFound, "no_report")
		})
	}
	t.Run("OK/Text", func(t *testing.T) {
		a := p.call(t, "GET", "/api/v1/report?format=text&turn=1&actor="+actorA, nil)
		MustStatus(t, a, http.StatusOK)
		if got := a.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
			t.Fatalf("Content-Type = %q, want text/plain", got)
		}
		for _, want := range []string{"Turn 1 Report for Zorg", "Status of Players", "Your Planets"} {
			if !strings.Contains(string(a.Body), want) {
				t.Fatalf("text report lacks %q:\n%s", want, a.Body)
			}
		}
	})
	t.Run("ErrFormat", func(t *testing.T) {
		MustCode(t, p.call(t, "GET", "/api/v1/report?format=xml&actor="+actorA, nil), http.StatusBadRequest, "invalid")
	})
	t.Run("ErrTurnNotAnInteger", func(t *testing.T) {
		MustStatus(t, p.call(t, "GET", "/api/v1/report?turn=one&actor="+actorA, nil), http.StatusBadRequest)
	})
	t.Run("ErrUnknownActor", func(t *testing.T) {
		MustStatus(t, p.call(t, "GET", "/api/v1/report?actor=33333333-3333-3333-3333-333333333333", nil), http.StatusForbidden)
	})
	t.Run("ErrBadActor", func(t *testing.T) {
		MustStatus(t, p.call(t, "GET", "/api/v1/report?actor=x", nil), http.StatusBadRequest)
	})
}

// TestRestart kills the engine with SIGKILL mid-game and checks that a new process
// over the same directory continues the same game at the same turn.
func TestRestart(t *testing.T) {
	p, dir := MustInit(t, "tok", map[string]any{"seed": 3})
	for n := 1; n <= 2; n++ {
		MustStatus(t, p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": n}), http.StatusOK)
	}
	MustStatus(t, p.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": 2, "orders": []any{
		map[string]any{"type": "produce", "planet": homeOf(t, p, actorA), "what": "SHIELDS"},
	}}), http.StatusOK)
	before := p.call(t, "GET", "/api/v1/admin/state", nil)
	p.cmd.Process.Signal(syscall.SIGKILL)
	MustExit(t, p)

	q := MustStart(t, dir, "tok")
	after := q.call(t, "GET", "/api/v1/admin/state", nil)
	if !bytes.Equal(after.Body, before.Body) {
		t.Fatalf("state after restart = %s, want %s", after.Body, before.Body)
	}
	MustStatus(t, q.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 2}), http.StatusOK)
	st := decode[state](t, q.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 3}))
	if st.GameID != testGameID || st.Turn != 3 {
		t.Fatalf("state = %+v, want game %s at turn 3", st, testGameID)
	}
	if got, want := st.Players[0].Tech.Shields, 1.2; got != want {
		t.Fatalf("shields = %v, want %v (orders survived the crash)", got, want)
	}
	MustStatus(t, q.call(t, "POST", "/api/v1/admin/init", initBody(nil)), http.StatusConflict)
}

func TestStart(t *testing.T) {
	t.Run("ErrCorruptState", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "state.json")
		garbage := []byte(`{"version":1,"gameId":"6f1c0f37-9d3c`)
		if err := os.WriteFile(path, garbage, 0o600); err != nil {
			t.Fatal(err)
		}
		p := startProc(t, "GAME_STATE_PATH="+dir)
		if code := MustExit(t, p); code == 0 {
			t.Fatalf("exit code = 0, want non-zero; stderr:\n%s", p.stderr.String())
		}
		if !strings.Contains(p.stderr.String(), "corrupt") {
			t.Fatalf("stderr = %s, want it to say corrupt", p.stderr.String())
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, garbage) {
			t.Fatalf("state.json = %q, want it untouched", got)
		}
	})
	t.Run("ErrMissingStatePath", func(t *testing.T) {
		p := startProc(t)
		if got, want := MustExit(t, p), 2; got != want {
			t.Fatalf("exit code = %d, want %d; stderr:\n%s", got, want, p.stderr.String())
		}
		if !strings.Contains(p.stderr.String(), "GAME_STATE_PATH") {
			t.Fatalf("stderr = %s, want it to name GAME_STATE_PATH", p.stderr.String())
		}
	})
	t.Run("ErrStatePathNotDir", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "f")
		os.WriteFile(file, nil, 0o600)
		p := startProc(t, "GAME_STATE_PATH="+file)
		if got, want := MustExit(t, p), 2; got != want {
			t.Fatalf("exit code = %d, want %d", got, want)
		}
	})
	t.Run("ErrStatePathParentMissing", func(t *testing.T) {
		p := startProc(t, "GAME_STATE_PATH="+filepath.Join(t.TempDir(), "no-mount", "game"))
		if got, want := MustExit(t, p), 2; got != want {
			t.Fatalf("exit code = %d, want %d", got, want)
		}
	})
	t.Run("OK/CreatesStateDirOnSharedMount", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "6f1c0f37-9d3c-4a43-9a0e-1d2f3b4c5d6e")
		p := MustStart(t, dir, "")
		MustStatus(t, p.call(t, "GET", "/healthz", nil), http.StatusOK)
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatalf("state dir not created: %v", err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o700); got != want {
			t.Fatalf("state dir mode %v, want %v", got, want)
		}
	})
	t.Run("OK/SIGTERM", func(t *testing.T) {
		p := MustStart(t, t.TempDir(), "")
		MustStatus(t, p.call(t, "GET", "/healthz", nil), http.StatusOK)
		p.cmd.Process.Signal(syscall.SIGTERM)
		if got, want := MustExit(t, p), 0; got != want {
			t.Fatalf("exit code = %d, want %d", got, want)
		}
	})
}
