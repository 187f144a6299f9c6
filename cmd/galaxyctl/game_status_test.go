package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// runningGameJSON is a game mid-play on Nomad, with two races' figures.
func runningGameJSON(runtimeExtra string) string {
	return `{"id":"` + gameID + `","engineVersion":"1.2.3","schedule":{"cron":"0 18 * * *","timezone":"Europe/Berlin"},` +
		`"players":[{"userId":"` + userID + `","raceName":"Zorg","enginePlayerId":"33333333-3333-4333-8333-333333333333"},` +
		`{"userId":"22222222-2222-4222-8222-222222222222","raceName":"Blip","enginePlayerId":"44444444-4444-4444-8444-444444444444"}],` +
		`"createdAt":"2026-03-01T12:00:00Z","runtime":{"gameId":"` + gameID + `","status":"running","currentTurn":7,` +
		`"nextTurnAt":"2026-03-01T18:00:00Z","initialized":true,"engineEndpoint":"http://10.0.0.7:31000","engineVersion":"1.2.4",` +
		`"jobId":"galaxy-game-` + gameID + `","jobVersion":3,"allocId":"9f1c2b3a","nodeId":"node-eu-2","engineHealth":"passing","restarts":1,` +
		`"players":[{"id":"33333333-3333-4333-8333-333333333333","raceName":"Zorg","planets":4,"population":812.5,"industry":601.25,` +
		`"tech":{"drive":1.5,"weapons":1.2,"shields":1,"cargo":1},"ships":12},` +
		`{"id":"44444444-4444-4444-8444-444444444444","raceName":"Blip","planets":0,"population":0,"industry":0,"tech":{"drive":1,"weapons":1,"shields":1,"cargo":1},"out":true}],` +
		`"lastError":"turn 6, attempt 1: the engine did not answer","startedAt":"2026-03-01T12:01:00Z","stoppedAt":"2026-03-01T12:30:00Z",` +
		`"updatedAt":"2026-03-01T13:00:00Z"` + runtimeExtra + `}}`
}

func TestGameStatus(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 3, 1, 17, 59, 18, 0, time.UTC) }
	t.Cleanup(func() { now = time.Now })
	t.Run("Running", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"paused":false,"archivedTurn":6`))
		a.On("GET /api/v1/games/"+gameID+"/operations", 200, `{"operations":[`+opJSON("succeeded", "")+`]}`)
		code, stdout, stderr := MustRun(t, a, "game", "status", gameID)
		MustCode(t, code, exitOK, stdout, stderr)
		MustLines(t, stdout,
			`^ID +\= `+gameID+`$`,
			`^Status +\= running$`,
			`^Paused +\= false$`,
			`^Engine version +\= 1\.2\.4$`,
			`^Engine health +\= passing$`,
			`^Schedule +\= 0 18 \* \* \* Europe/Berlin$`,
			`^Current turn +\= 7$`,
			`^Next turn +\= 2026-03-01T18:00:00Z \(in 42s\)$`,
			`^Archived turn +\= 6$`,
			`^Node +\= node-eu-2$`,
			`^Allocation +\= 9f1c2b3a$`,
			`^Job +\= galaxy-game-`+gameID+` \(version 3\)$`,
			`^Endpoint +\= http://10\.0\.0\.7:31000$`,
			`^Restarts +\= 1$`,
			`^Started +\= 2026-03-01T12:01:00Z$`,
			`^Stopped +\= 2026-03-01T12:30:00Z$`,
			`^Last error +\= turn 6, attempt 1: the engine did not answer$`,
			`^Races$`,
			`^RACE +USER +PLANETS +POPULATION +INDUSTRY +TECH D/W/S/C +SHIPS$`,
			`^Zorg +`+userID+` +4 +812\.50 +601\.25 +1\.50/1\.20/1\.00/1\.00 +12$`,
			`^Blip \(out\) +22222222-2222-4222-8222-222222222222 +0 +0\.00 +0\.00 `,
			`^Recent Operations$`,
			`^`+opID+` +start +admin +succeeded `,
		)
		if strings.Contains(stdout, "Finished") || strings.Contains(stdout, "Pending turn") {
			t.Fatalf("rows for unset fields:\n%s", stdout)
		}
	})
	t.Run("Paused", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"paused":true,"pendingTurn":8`))
		code, stdout, stderr := MustRun(t, a, "game", "status", gameID)
		MustCode(t, code, exitOK, stdout, stderr)
		MustLines(t, stdout, `^Paused +\= true$`, `^Pending turn +\= 8 \(being generated\)$`, `^Next turn +\= none \(paused\)$`)
		if strings.Contains(stdout, "Archived turn") {
			t.Fatalf("an archived turn from a galaxyd that sends none:\n%s", stdout)
		}
		// The operations route answered 404 here: said, not fatal.
		MustLines(t, stdout, `^Recent Operations$`, `^not shown: not_found: `)
	})
	t.Run("EngineWithoutSnapshots", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"snapshotsUnsupported":true`))
		code, stdout, stderr := MustRun(t, a, "game", "status", gameID)
		MustCode(t, code, exitOK, stdout, stderr)
		MustLines(t, stdout, `^Archive +\= unavailable: the engine has no snapshots \(older engine contract\)$`)
	})
	t.Run("LobbyToken", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, gameJSON)
		a.On("GET /api/v1/games/"+gameID+"/operations", 403, `{"error":{"code":"forbidden","message":"this route needs the admin token"}}`)
		code, stdout, stderr := MustRun(t, a, "game", "status", gameID)
		MustCode(t, code, exitOK, stdout, stderr)
		MustLines(t, stdout, `^Engine health +\= unknown$`, `^Next turn +\= none$`)
		if strings.Contains(stdout, "Operations") {
			t.Fatalf("operations for a lobby token:\n%s", stdout)
		}
	})
	t.Run("ArchiveLine", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"paused":false,"archivedTurn":4,"archiveLine":2`))
		code, stdout, stderr := MustRun(t, a, "game", "status", gameID)
		MustCode(t, code, exitOK, stdout, stderr)
		MustLines(t, stdout, `^Archived turn +\= 4 \(history line 2\)$`)
	})
	t.Run("JSON", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"paused":false,"archivedTurn":6`))
		code, stdout, stderr := MustRun(t, a, "game", "status", gameID, "-json")
		MustCode(t, code, exitOK, stdout, stderr)
		var v struct {
			ID      string `json:"id"`
			Runtime struct {
				Status       string `json:"status"`
				AllocID      string `json:"allocId"`
				ArchivedTurn *int   `json:"archivedTurn"`
			} `json:"runtime"`
		}
		if err := json.Unmarshal([]byte(stdout), &v); err != nil || v.ID != gameID || v.Runtime.Status != "running" ||
			v.Runtime.AllocID != "9f1c2b3a" || v.Runtime.ArchivedTurn == nil || *v.Runtime.ArchivedTurn != 6 {
			t.Fatalf("got %q (%v)", stdout, err)
		}
		if len(a.Reqs) != 1 {
			t.Fatalf("requests: %d, want the game only", len(a.Reqs))
		}
	})
	t.Run("Template", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games/"+gameID, 200, runningGameJSON(`,"paused":false,"archivedTurn":6`))
		code, stdout, stderr := MustRun(t, a, "game", "status", gameID, "-t", `{{.Runtime.Status}} {{.Runtime.NodeID}} {{.Runtime.ArchivedTurn}} {{len .Players}}`)
		MustCode(t, code, exitOK, stdout, stderr)
		if stdout != "running node-eu-2 6 2\n" {
			t.Fatalf("got %q", stdout)
		}
	})
}
