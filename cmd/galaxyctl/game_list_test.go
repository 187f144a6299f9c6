package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// listedGame is a game of the paging fake.
type listedGame struct {
	id     string
	status string
	paused bool
	health string
}

func (g listedGame) json() string {
	h := ""
	if g.health != "" {
		h = `,"engineHealth":"` + g.health + `"`
	}
	return `{"id":"` + g.id + `","engineVersion":"1.2.3","schedule":{"cron":"* * * * *","timezone":"UTC"},"players":[],` +
		`"createdAt":"2026-03-01T12:00:00Z","runtime":{"gameId":"` + g.id + `","status":"` + g.status + `","paused":` +
		strconv.FormatBool(g.paused) + `,"currentTurn":2` + h + `,"nextTurnAt":"2026-03-01T12:01:00Z","initialized":true,"updatedAt":"2026-03-01T12:00:00Z"}}`
}

// ServeGames answers GET /api/v1/games as galaxyd does: up to limit games (100 by
// default) after the cursor that pass the status and paused filters, in ID order, and
// the next page's cursor while games follow.
func (a *API) ServeGames(games []listedGame) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Handle["GET /api/v1/games"] = func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		if limit == 0 {
			limit = 100
		}
		var page []string
		next, last := "", ""
		for _, g := range games {
			if g.id <= q.Get("after") {
				continue
			}
			if s := q.Get("status"); s != "" && s != g.status {
				continue
			}
			if p := q.Get("paused"); p != "" && p != strconv.FormatBool(g.paused) {
				continue
			}
			if len(page) == limit {
				next = `,"next":"` + last + `"`
				break
			}
			page = append(page, g.json())
			last = g.id
		}
		Reply(w, 200, `{"games":[`+strings.Join(page, ",")+`]`+next+`}`)
	}
}

func listID(i int) string { return fmt.Sprintf("0190f5d2-0000-7000-8000-%012d", i) }

func TestGameList(t *testing.T) {
	var games []listedGame
	for i := 1; i <= 250; i++ {
		g := listedGame{id: listID(i), status: orchestrator.StatusRunning, health: "passing"}
		switch {
		case i%10 == 0:
			g.status, g.health = orchestrator.StatusRemoved, ""
		case i%7 == 0:
			g.paused = true
		case i == 5:
			g.status, g.health = orchestrator.StatusEngineUnreachable, "critical"
		}
		games = append(games, g)
	}
	a := NewAPI(t)
	a.ServeGames(games)
	rows := func(t *testing.T, stdout string) []string {
		t.Helper()
		var out []string
		for _, l := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(l, "0190f5d2-") {
				out = append(out, l)
			}
		}
		return out
	}
	t.Run("RemovedHidden", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "list", "-limit", "12")
		MustCode(t, code, exitOK, stdout, stderr)
		lines := strings.Split(stdout, "\n")
		if !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "HEALTH") || !strings.Contains(lines[0], "NEXT TURN") {
			t.Fatalf("header: %q", lines[0])
		}
		got := rows(t, stdout)
		if len(got) != 12 || strings.Contains(stdout, listID(10)) || !strings.HasPrefix(got[11], listID(13)) {
			t.Fatalf("rows: got %d, want 12 without game 10, the last 13:\n%s", len(got), stdout)
		}
		if f := strings.Fields(got[4]); f[1] != "engine_unreachable" || f[3] != "critical" {
			t.Fatalf("game 5: got %q, want its status and health", got[4])
		}
		if f := strings.Fields(got[6]); f[2] != "true" || f[len(f)-1] != "-" {
			t.Fatalf("game 7: got %q, want paused with no next turn", got[6])
		}
		if want := "More games follow: galaxyctl game list -limit 12 -after " + listID(13); !strings.Contains(stdout, "\n"+want+"\n") {
			t.Fatalf("no next-page hint %q:\n%s", want, stdout)
		}
	})
	t.Run("NextPage", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "list", "-limit", "12", "-after", listID(13))
		MustCode(t, code, exitOK, stdout, stderr)
		if got := rows(t, stdout); len(got) != 12 || !strings.HasPrefix(got[0], listID(14)) {
			t.Fatalf("rows: %q", got)
		}
	})
	t.Run("LastPage", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "list", "-after", listID(200))
		MustCode(t, code, exitOK, stdout, stderr)
		if got := rows(t, stdout); len(got) != 45 || strings.Contains(stdout, "More games") {
			t.Fatalf("rows: %d, want the 45 games left and no hint:\n%s", len(got), stdout)
		}
	})
	t.Run("All", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "list", "-all", "-limit", "1000")
		MustCode(t, code, exitOK, stdout, stderr)
		if got := rows(t, stdout); len(got) != 250 {
			t.Fatalf("rows: %d, want 250 across the API's pages", len(got))
		}
	})
	t.Run("Status", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "list", "-status", "removed", "-limit", "3")
		MustCode(t, code, exitOK, stdout, stderr)
		got := rows(t, stdout)
		if len(got) != 3 || !strings.HasPrefix(got[0], listID(10)) || !strings.HasPrefix(got[2], listID(30)) {
			t.Fatalf("rows: %q", got)
		}
		if !strings.Contains(stdout, "galaxyctl game list -status removed -limit 3 -after "+listID(30)) {
			t.Fatalf("hint:\n%s", stdout)
		}
		// The server filters.
		if q := a.Last(t).Query; !strings.Contains(q, "status=removed") {
			t.Fatalf("query: %q", q)
		}
	})
	t.Run("Paused", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "list", "-paused", "-json")
		MustCode(t, code, exitOK, stdout, stderr)
		var page struct {
			Games []orchestrator.GameView `json:"games"`
			Next  string                  `json:"next"`
		}
		if err := json.Unmarshal([]byte(stdout), &page); err != nil {
			t.Fatal(err)
		}
		// 7, 14, …, 245 except the removed multiples of 70: 35 - 3.
		if len(page.Games) != 32 || page.Next != "" || !page.Games[0].Runtime.Paused || page.Games[0].ID != uuid.MustParse(listID(7)) {
			t.Fatalf("got %d games, next %q", len(page.Games), page.Next)
		}
	})
	t.Run("Template", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, a, "game", "list", "-limit", "2", "-t", "{{range .Games}}{{.ID}} {{.Runtime.Status}}\n{{end}}next {{.Next}}")
		MustCode(t, code, exitOK, stdout, stderr)
		if want := listID(1) + " running\n" + listID(2) + " running\nnext " + listID(2) + "\n"; stdout != want {
			t.Fatalf("got %q, want %q", stdout, want)
		}
	})
	t.Run("OnlyRemoved", func(t *testing.T) {
		a := NewAPI(t)
		a.ServeGames([]listedGame{{id: listID(1), status: orchestrator.StatusRemoved}, {id: listID(2), status: orchestrator.StatusRemoved}})
		code, stdout, stderr := MustRun(t, a, "game", "list")
		MustCode(t, code, exitOK, stdout, stderr)
		if got, want := stdout, "No games (2 removed games hidden; -all shows them).\n"; got != want {
			t.Fatalf("stdout: got %q, want %q", got, want)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/games", 200, `{"games":[]}`)
		code, stdout, stderr := MustRun(t, a, "game", "list")
		MustCode(t, code, exitOK, stdout, stderr)
		if got, want := stdout, "No games.\n"; got != want {
			t.Fatalf("stdout: got %q, want %q", got, want)
		}
	})
}
