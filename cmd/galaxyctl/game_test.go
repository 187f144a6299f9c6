package main

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

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
		if got, want := stdout, gameJSON+"\n"; got != want {
			t.Fatalf("stdout: got %q, want %q", got, want)
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
		if !strings.Contains(stderr, "version add") {
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

func TestGameList(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/games", 200, `{"games":[`+gameJSON+`]}`)
	code, stdout, stderr := MustRun(t, a, "game", "list", "-status", "running", "-limit", "5")
	MustCode(t, code, exitOK, stdout, stderr)
	if got := a.Last(t).Query; !strings.Contains(got, "status=running") || !strings.Contains(got, "limit=5") {
		t.Fatalf("query: got %q", got)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[1], gameID) || !strings.Contains(lines[1], "created") {
		t.Fatalf("stdout: got %q", stdout)
	}
	t.Run("Empty", func(t *testing.T) {
		a.On("GET /api/v1/games", 200, `{"games":[]}`)
		code, stdout, stderr := MustRun(t, a, "game", "list")
		MustCode(t, code, exitOK, stdout, stderr)
		if got, want := stdout, "No games.\n"; got != want {
			t.Fatalf("stdout: got %q, want %q", got, want)
		}
	})
}

func TestGameStatus(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/games/"+gameID, 200, gameJSON)
	code, stdout, stderr := MustRun(t, a, "game", "status", gameID)
	MustCode(t, code, exitOK, stdout, stderr)
	for _, want := range []string{"Status", "created", "1.2.3", "* * * * * UTC", "Zorg", userID} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "status", "0190f5d2-0000-7000-8000-000000000000")
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.HasPrefix(stderr, "Error: not_found: ") {
			t.Fatalf("stderr: got %q", stderr)
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
		if polls.Load() != 3 || !strings.Contains(stdout, "succeeded") {
			t.Fatalf("polls %d, stdout %q", polls.Load(), stdout)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games/"+gameID+"/start", 202, opJSON("queued", ""))
		a.On("GET /api/v1/operations/"+opID, 200, opJSON("succeeded", ""))
		code, stdout, stderr := MustRun(t, a, "game", "start", "-wait", "-json", gameID)
		MustCode(t, code, exitOK, stdout, stderr)
		if got, want := stdout, opJSON("succeeded", "")+"\n"; got != want {
			t.Fatalf("stdout: got %q, want %q", got, want)
		}
	})
	t.Run("ErrFailed", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/games/"+gameID+"/start", 202, opJSON("queued", ""))
		a.On("GET /api/v1/operations/"+opID, 200, opJSON("failed", "engine_unreachable"))
		code, stdout, stderr := MustRun(t, a, "game", "start", gameID, "-wait")
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.Contains(stderr, "failed: engine_unreachable") {
			t.Fatalf("stderr: got %q", stderr)
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
		if !strings.Contains(stderr, "operation "+opID+" still running") && !strings.Contains(stderr, "operation "+opID+" still queued") ||
			!strings.Contains(stderr, "galaxyctl op status "+opID+" -wait") {
			t.Fatalf("stderr: got %q", stderr)
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
		MustCode(t, code, exitUsage, stdout, stderr)
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
