package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// MustLines checks that out has a line matching each pattern, in order.
func MustLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Fatalf("no line matching %q (in this order):\n%s", p, out)
		}
		i++
	}
}

func TestGameCreate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games", 201, gameJSON)
		code, stdout, stderr := MustRun(t, a, "game", "create", "-version", "1.2.3", "-cron", "0 18 * * *", "-tz", "Europe/Berlin",
			"-player", userID+":Zorg", "-player", "22222222-2222-4222-8222-222222222222:Blip",
			"-settings", `{"seed":7}`, "-idempotency-key", "k-1", "-early-turn")
		MustCode(t, code, exitOK, stdout, stderr)
		req := a.Last(t)
		if req.Method != "POST" || req.Path != "/api/v1/games" {
			t.Fatalf("request: got %s %s", req.Method, req.Path)
		}
		if got, want := req.Header.Get("Idempotency-Key"), "k-1"; got != want {
			t.Fatalf("Idempotency-Key: got %q, want %q", got, want)
		}
		body := MustJSON(t, req.Body)
		players := body["players"].([]any)
		if body["engineVersion"] != "1.2.3" || len(players) != 2 || body["earlyTurn"] != true ||
			body["schedule"].(map[string]any)["timezone"] != "Europe/Berlin" || body["settings"].(map[string]any)["seed"] != float64(7) {
			t.Fatalf("body: got %s", req.Body)
		}
		if p := players[1].(map[string]any); p["raceName"] != "Blip" {
			t.Fatalf("player: got %v", p)
		}
		if !strings.Contains(stdout, gameID) || !strings.Contains(stdout, "created") || !strings.Contains(stdout, "Zorg") {
			t.Fatalf("stdout: got %q", stdout)
		}
	})
	t.Run("Replay", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games", 200, gameJSON)
		code, stdout, stderr := MustRun(t, a, "game", "create", "-version", "1.2.3", "-cron", "@every 1m", "-player", userID+":Zorg", "-idempotency-key", "k")
		MustCode(t, code, exitOK, stdout, stderr)
		if !strings.Contains(stdout, "already created") {
			t.Fatalf("stdout: got %q", stdout)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games", 201, gameJSON)
		code, stdout, stderr := MustRun(t, a, "game", "create", "-json", "-version", "1.2.3", "-cron", "* * * * *", "-player", userID+":Zorg")
		MustCode(t, code, exitOK, stdout, stderr)
		var v orchestrator.GameView
		if err := json.Unmarshal([]byte(stdout), &v); err != nil || v.ID.String() != gameID || v.Runtime.Status != "created" || len(v.Players) != 1 {
			t.Fatalf("stdout: got %q (%v)", stdout, err)
		}
		if stderr != "" {
			t.Fatalf("stderr: got %q, want nothing with -json", stderr)
		}
	})
	t.Run("Demo", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/engine-versions", 200, `{"versions":[{"version":"1.2.0","enabled":true},{"version":"1.10.0","enabled":true},{"version":"2.0.0","enabled":false}]}`)
		a.On("POST /api/v1/games", 201, gameJSON)
		code, stdout, stderr := MustRun(t, a, "game", "create", "--demo")
		MustCode(t, code, exitOK, stdout, stderr)
		body := MustJSON(t, a.Last(t).Body)
		sched := body["schedule"].(map[string]any)
		players := body["players"].([]any)
		if body["engineVersion"] != "1.10.0" || sched["cron"] != "* * * * *" || sched["timezone"] != "UTC" || len(players) != 3 {
			t.Fatalf("body: got %s", a.Last(t).Body)
		}
		users := map[any]bool{}
		for _, p := range players {
			users[p.(map[string]any)["userId"]] = true
		}
		if len(users) != 3 {
			t.Fatalf("users: got %v, want 3 distinct", users)
		}
		if !strings.Contains(stderr, "galaxyctl game start "+gameID) {
			t.Fatalf("stderr: got %q, want the start hint", stderr)
		}
	})
	t.Run("ErrDemoNoVersion", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/engine-versions", 200, `{"versions":[{"version":"1.0.0","enabled":false}]}`)
		code, stdout, stderr := MustRun(t, a, "game", "create", "-demo")
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.Contains(stderr, "galaxyctl engine add") {
			t.Fatalf("stderr: got %q", stderr)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games", 409, `{"error":{"code":"conflict","message":"idempotency key reused"}}`)
		code, stdout, stderr := MustRun(t, a, "game", "create", "-version", "1.2.3", "-cron", "* * * * *", "-player", userID+":Zorg")
		MustCode(t, code, exitError, stdout, stderr)
		if got, want := stderr, "Error: conflict: idempotency key reused\n"; got != want {
			t.Fatalf("stderr: got %q, want %q", got, want)
		}
	})
}

func TestGameOps(t *testing.T) {
	for verb, route := range map[string]string{
		"start": "POST /api/v1/games/" + gameID + "/start", "stop": "POST /api/v1/games/" + gameID + "/stop",
		"restart": "POST /api/v1/games/" + gameID + "/restart", "force-turn": "POST /api/v1/games/" + gameID + "/force-next-turn",
		"remove": "DELETE /api/v1/games/" + gameID,
	} {
		t.Run(verb, func(t *testing.T) {
			a := NewAPI(t)
			a.On(route, 202, opJSON("queued", ""))
			code, stdout, stderr := MustRun(t, a, "game", verb, gameID)
			MustCode(t, code, exitOK, stdout, stderr)
			if req := a.Last(t); req.Method+" "+req.Path != route {
				t.Fatalf("request: got %s %s, want %s", req.Method, req.Path, route)
			}
			if !strings.Contains(stdout, opID) || !strings.Contains(stdout, "queued") {
				t.Fatalf("stdout: got %q", stdout)
			}
		})
	}
}

func TestGameWait(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games/"+gameID+"/start", 202, opJSON("queued", ""))
		var polls atomic.Int32
		a.Handle["GET /api/v1/operations/"+opID] = func(w http.ResponseWriter, r *http.Request) {
			if polls.Add(1) < 3 {
				Reply(w, 200, opJSON("running", ""))
				return
			}
			Reply(w, 200, opJSON("succeeded", ""))
		}
		code, stdout, stderr := MustRun(t, a, "game", "start", gameID, "-wait")
		MustCode(t, code, exitOK, stdout, stderr)
		if polls.Load() != 3 {
			t.Fatalf("polls: got %d, want 3", polls.Load())
		}
		MustLines(t, stdout, `==> .*: Monitoring operation "`+opID+`" \(start of game `+gameID+`\)`,
			`    .*: Operation is queued`, `    .*: Operation is running`, `    .*: Operation succeeded`,
			`==> .*: Operation "`+opID+`" finished: succeeded`, `Status +\= succeeded`)
	})
	t.Run("Progress", func(t *testing.T) {
		a := NewAPI(t)
		op := func(status, extra string) string {
			return `{"id":"` + opID + `","gameId":"` + gameID + `","op":"force_next_turn","source":"admin","status":"` + status +
				`","createdAt":"2026-03-01T12:00:00Z"` + extra + `}`
		}
		a.On("POST /api/v1/games/"+gameID+"/force-next-turn", 202, op("queued", `,"details":{}`))
		answers := []string{
			op("running", `,"attempts":1,"details":{}`),
			op("running", `,"attempts":2,"retryAt":"2026-03-01T12:00:05Z","errorCode":"engine_unreachable","errorMessage":"no answer","details":{}`),
			op("succeeded", `,"attempts":3,"details":{"endpoint":"http://10.0.0.7:31000","allocId":"a1","nodeId":"n1"}`),
		}
		runtime := func(extra string) string {
			return strings.Replace(gameJSON, `"status":"created","paused":false,"currentTurn":0`, extra, 1)
		}
		games := []string{
			runtime(`"status":"generation_in_progress","paused":false,"currentTurn":0`),
			runtime(`"status":"generation_in_progress","engineHealth":"critical","paused":false,"currentTurn":0`),
			runtime(`"status":"running","engineHealth":"passing","allocId":"a1","nodeId":"n1","paused":false,"currentTurn":1`),
		}
		var polls, gets atomic.Int32
		a.Handle["GET /api/v1/operations/"+opID] = func(w http.ResponseWriter, r *http.Request) {
			Reply(w, 200, answers[min(int(polls.Add(1))-1, len(answers)-1)])
		}
		a.Handle["GET /api/v1/games/"+gameID] = func(w http.ResponseWriter, r *http.Request) {
			Reply(w, 200, games[min(int(gets.Add(1))-1, len(games)-1)])
		}
		code, stdout, stderr := MustRun(t, a, "game", "force-turn", gameID, "-wait")
		MustCode(t, code, exitOK, stdout, stderr)
		MustLines(t, stdout,
			`Monitoring operation "`+opID+`" \(force_next_turn of game`,
			`Operation is queued`,
			`Game is generation_in_progress at turn 0, engine unknown`,
			`Attempt 1$`,
			`Operation is running \(attempt 1\)`,
			`Engine health critical`,
			`Attempt 2 failed: engine_unreachable: no answer; next try at 2026-03-01T12:00:05Z`,
			`Game status running`, `Engine health passing`, `Engine placed: allocation a1 on node n1`, `Turn 1 generated`,
			`Operation succeeded after 3 attempts$`,
			`Engine at http://10.0.0.7:31000 allocation a1 on node n1`,
			`finished: succeeded`)
	})
	t.Run("JSON", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games/"+gameID+"/start", 202, opJSON("queued", ""))
		a.On("GET /api/v1/operations/"+opID, 200, opJSON("succeeded", ""))
		code, stdout, stderr := MustRun(t, a, "game", "start", "-wait", "-json", gameID)
		MustCode(t, code, exitOK, stdout, stderr)
		var op orchestrator.Operation
		if err := json.Unmarshal([]byte(stdout), &op); err != nil || op.Status != "succeeded" {
			t.Fatalf("stdout: got %q (%v), want the operation's JSON alone", stdout, err)
		}
	})
	t.Run("ErrFailed", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games/"+gameID+"/start", 202, opJSON("queued", ""))
		a.On("GET /api/v1/operations/"+opID, 200, opJSON("failed", "engine_unreachable"))
		code, stdout, stderr := MustRun(t, a, "game", "start", gameID, "-wait")
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.Contains(stderr, "failed: engine_unreachable") || !strings.Contains(stdout, "Operation failed: engine_unreachable") {
			t.Fatalf("stdout %q, stderr %q", stdout, stderr)
		}
	})
	t.Run("ErrTimeout", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games/"+gameID+"/start", 202, opJSON("queued", ""))
		a.On("GET /api/v1/operations/"+opID, 200, opJSON("running", ""))
		code, stdout, stderr := MustRun(t, a, "game", "start", gameID, "-wait", "-timeout", "50ms")
		MustCode(t, code, exitError, stdout, stderr)
		// The status last seen: running once a poll got through in the 50 ms, still the
		// POST's queued on a machine too busy for one.
		if !strings.Contains(stderr, "still running after 50ms") && !strings.Contains(stderr, "still queued after 50ms") ||
			!strings.Contains(stderr, "galaxyctl op status "+opID+" -wait") {
			t.Fatalf("stderr: got %q", stderr)
		}
	})
	t.Run("Interrupted", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games/"+gameID+"/start", 202, opJSON("queued", ""))
		a.On("GET /api/v1/operations/"+opID, 200, opJSON("running", ""))
		r := Start(t, a.URL, "game", "start", gameID, "-wait")
		r.WaitFor(t, "Operation is running")
		if code := r.Stop(t); code != exitError || !strings.Contains(r.Stderr.String(), "interrupted; operation "+opID+" is still running") {
			t.Fatalf("exit %d, stderr %q", code, r.Stderr.String())
		}
	})
}

func TestGamePatch(t *testing.T) {
	a := NewAPI(t)
	a.On("POST /api/v1/games/"+gameID+"/patch", 202, opJSON("queued", ""))
	code, stdout, stderr := MustRun(t, a, "game", "patch", gameID, "1.2.4")
	MustCode(t, code, exitOK, stdout, stderr)
	if got := MustJSON(t, a.Last(t).Body)["version"]; got != "1.2.4" {
		t.Fatalf("version: got %v", got)
	}
	t.Run("ErrUsage", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "patch", gameID)
		MustCode(t, code, exitError, stdout, stderr)
	})
}

func TestGamePause(t *testing.T) {
	for _, verb := range []string{"pause", "resume"} {
		t.Run(verb, func(t *testing.T) {
			a := NewAPI(t)
			a.On("POST /api/v1/games/"+gameID+"/"+verb, 200, strings.Replace(gameJSON, `"paused":false`, `"paused":true`, 1))
			code, stdout, stderr := MustRun(t, a, "game", verb, gameID)
			MustCode(t, code, exitOK, stdout, stderr)
			if !strings.Contains(stdout, "paused true") {
				t.Fatalf("stdout: got %q", stdout)
			}
		})
	}
}

func TestGameOperations(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/games/"+gameID+"/operations", 200, `{"operations":[`+opJSON("failed", "engine_error")+`]}`)
	code, stdout, stderr := MustRun(t, a, "game", "ops", gameID, "-limit", "3")
	MustCode(t, code, exitOK, stdout, stderr)
	if got := a.Last(t).Query; got != "limit=3" {
		t.Fatalf("query: got %q", got)
	}
	if !strings.Contains(stdout, "engine_error") || !strings.Contains(stdout, opID) {
		t.Fatalf("stdout: got %q", stdout)
	}
}

func TestOpStatus(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/operations/"+opID, 200, opJSON("succeeded", ""))
	code, stdout, stderr := MustRun(t, a, "op", "status", opID)
	MustCode(t, code, exitOK, stdout, stderr)
	if !strings.Contains(stdout, "succeeded") || !strings.Contains(stdout, gameID) {
		t.Fatalf("stdout: got %q", stdout)
	}
	t.Run("ErrFailed", func(t *testing.T) {
		a.On("GET /api/v1/operations/"+opID, 200, opJSON("failed", "start_failed"))
		code, stdout, stderr := MustRun(t, a, "op", "status", opID)
		MustCode(t, code, exitError, stdout, stderr)
	})
}
