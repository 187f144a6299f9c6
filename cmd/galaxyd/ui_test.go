package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// Tokens of the console test: galaxyd -dev accepts tokens, and with them the console
// has to sign in.
const (
	consoleAdminToken = "console-test-admin-token-0123456789abcdef"
	consoleLobbyToken = "console-test-lobby-token-0123456789abcdef"
)

// browserDeadline bounds each step in the browser; generous, so a loaded machine is
// slow rather than failing.
const browserDeadline = 60 * time.Second

// TestConsoleInBrowser drives the web console in headless Chromium against galaxyd -dev
// with tokens: sign in with the admin token, see a turn forced through the API arrive
// live in the games list, open the game's page and its galaxy map (the game master's
// view and a player's), pause the game from its page through the confirmation dialog
// — the API then says it is paused — and, signed in with the lobby token, find no
// admin-only button. The page must throw no error and break no Content-Security-Policy
// rule, and the token must be nowhere in the page or its address. Screenshots of the
// games list, the game page and the maps go to $GALAXY_SCREENSHOTS (relative to the
// repository's root), else to a temporary directory.
func TestConsoleInBrowser(t *testing.T) {
	browser := findChromium()
	if browser == "" {
		t.Skip("no Chromium on PATH (chromium or chromium-browser): the console's browser test needs one; apt-get install -y chromium")
	}
	t.Setenv("GALAXY_ADMIN_TOKEN", consoleAdminToken)
	t.Setenv("GALAXY_LOBBY_TOKEN", consoleLobbyToken)
	m := MustRunMain(t, t.TempDir())
	a := bearerAPI{tb: t, base: m.HTTP.URL(), token: consoleAdminToken}
	g := mustStartConsoleGame(a)
	mustAddConsoleGames(a)
	id := g.ID.String()
	shots := screenshotDir(t)

	ctx, messages := mustStartBrowser(t, browser)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, browserDeadline)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v\nbrowser console:\n%s", what, err, messages.String())
		}
	}
	// until waits, in the page, for a JavaScript expression to hold.
	until := func(what, expr string) {
		t.Helper()
		do(what, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(browserDeadline)))
	}
	shot := func(name string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, browserDeadline)
		defer cancel()
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	row := `#games tr[data-game-id="` + id + `"]`

	// Sign in with the admin token; the list shows the game.
	do("sign in",
		chromedp.Navigate(m.HTTP.URL()+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), consoleAdminToken),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(row)))
	until("the event stream is live", `document.getElementById("live").dataset.state === "live"`)
	until("the list shows turn 2", textIs(row+` td[data-col="turn"]`, "2"))

	// A turn forced through the API arrives live.
	a.action(g.ID, "force-next-turn")
	until("the list shows turn 3 live", textIs(row+` td[data-col="turn"]`, "3"))
	until("the next turn counts down", `/^in \d/.test(document.querySelector(`+jsString(row+` .countdown`)+`).textContent)`)
	shot("console-games.png")

	// The game's page: runtime, players, charts over four turns, operations.
	do("open the game", chromedp.Click(chromedp.CSS(row+` td[data-col="game"] a`)))
	until("the game page", textIs(`#facts [data-fact="turn"] dd`, "3"))
	until("the players", `document.querySelectorAll("#players tbody tr").length === 3`)
	until("the charts", `document.querySelectorAll(".chart-grid svg.chart polyline.series").length === 12`)
	until("the operations", `document.querySelectorAll("#operations li[data-op]").length === 4`)
	shot("console-game.png")

	// The galaxy map: the game master sees every planet, and a group in hyperspace.
	do("open the map", chromedp.Click(chromedp.CSS(`a[data-nav="map"]`)))
	until("the map's planets", fmt.Sprintf(`document.querySelectorAll("#galaxy-map circle.planet").length === %d`, consolePlanets))
	until("a route in hyperspace", `document.querySelectorAll("#galaxy-map line.route").length > 0`)
	shot("console-map.png")

	// A player's view: that race's report, its own groups and what it sees.
	player := g.Players[0]
	do("choose a player's view", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("map-view");
		s.value = `+jsString(player.UserID.String())+`; s.dispatchEvent(new Event("change")); })()`))
	until("the player's map", `(document.querySelector("#galaxy-map") || {getAttribute: () => ""}).getAttribute("aria-label").includes(`+jsString(player.RaceName+"'s view")+`)`)
	until("the player's own route", `document.querySelectorAll("#galaxy-map line.route").length > 0`)
	shot("console-map-player.png")

	// Pause from the game's page, through the confirmation dialog.
	do("back to the game", chromedp.Click(chromedp.CSS(`a[data-nav="game"]`)),
		chromedp.WaitEnabled(chromedp.CSS(`button[data-action="pause"]`)),
		chromedp.Click(chromedp.CSS(`button[data-action="pause"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm[open] #confirm-ok`)),
		chromedp.Click(chromedp.ID("confirm-ok")))
	until("the page shows the game paused", textIs(`#facts [data-fact="paused"] dd`, "yes"))
	if v := a.game(g.ID); !v.Runtime.Paused {
		t.Fatalf("after pausing from the console the API says paused=%v", v.Runtime.Paused)
	}
	until("resume is offered", `!document.querySelector('button[data-action="resume"]').disabled`)

	// The token is in no address and nowhere in the page.
	leak := fmt.Sprintf(`location.href.includes(%[1]s) || document.documentElement.outerHTML.includes(%[1]s)`, jsString(consoleAdminToken))
	if leaked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](leak)); err != nil || leaked {
		t.Fatalf("the admin token is in the page or its address (%v)", err)
	}

	// The nodes page: the local driver has none, and the page says so.
	do("the nodes page", chromedp.Click(chromedp.CSS(`nav a[data-nav="nodes"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#nodes-placeholder[data-status="503"]`)))
	do("back to the game", chromedp.Navigate(m.HTTP.URL()+"/ui/#/games/"+id), chromedp.WaitVisible(chromedp.CSS(`button[data-action="resume"]`)))

	// The lobby token: the game's page offers the lobby's actions only.
	do("sign in with the lobby token",
		chromedp.Click(chromedp.ID("signout")),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), consoleLobbyToken),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action="resume"]`)))
	until("signed in as lobby", `document.getElementById("who").dataset.role === "lobby"`)
	for _, admin := range []string{"force_next_turn", "restart", "patch", "remove"} {
		until("no "+admin+" button for the lobby", `document.querySelector('button[data-action="`+admin+`"]') === null`)
	}

	if bad := messages.problems(); len(bad) > 0 {
		t.Fatalf("the console reported problems:\n%s", strings.Join(bad, "\n"))
	}
}

// TestConsoleWithoutTokens: galaxyd -dev without tokens needs no sign-in — the
// console finds that out by asking the API without a token — and acts as admin.
func TestConsoleWithoutTokens(t *testing.T) {
	browser := findChromium()
	if browser == "" {
		t.Skip("no Chromium on PATH (chromium or chromium-browser): the console's browser test needs one; apt-get install -y chromium")
	}
	t.Setenv("GALAXY_ADMIN_TOKEN", "")
	t.Setenv("GALAXY_LOBBY_TOKEN", "")
	m := MustRunMain(t, t.TempDir())
	id := MustStartGame(t, api{tb: t, base: m.HTTP.URL()}, yearly, "Open")
	ctx, messages := mustStartBrowser(t, browser)
	sctx, cancel := context.WithTimeout(ctx, browserDeadline)
	defer cancel()
	if err := chromedp.Do(sctx,
		chromedp.Navigate(m.HTTP.URL()+"/ui/#/games/"+id.String()),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action="force_next_turn"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById("who").textContent.includes("no tokens") && document.getElementById("signout").hidden
			&& document.getElementById("token") === null`, chromedp.WithPollingTimeout(browserDeadline)),
	); err != nil {
		t.Fatalf("the console without tokens: %v\nbrowser console:\n%s", err, messages.String())
	}
	if bad := messages.problems(); len(bad) > 0 {
		t.Fatalf("the console reported problems:\n%s", strings.Join(bad, "\n"))
	}
}

// consolePlanets is how many planets the engine makes for 3 races: 3 homes, 2 empty
// planets near each, 3 small ones per race.
const consolePlanets = 18

// mustStartConsoleGame creates and starts a 3-race game with seed 42 on a daily
// schedule (no scheduled turn during the test), and plays two forced turns in which
// the races differ: the first builds cruisers and sends them to the planet farthest
// from its home (a flight of several turns), the second builds freighters on a
// standing colonists' route to the planet nearest its home (which it colonises), the
// third researches drive tech.
func mustStartConsoleGame(a bearerAPI) *orchestrator.GameView {
	a.tb.Helper()
	var g orchestrator.GameView
	a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
		"engineVersion": DevEngineVersion,
		"schedule":      map[string]string{"cron": "0 18 * * *", "timezone": "Europe/Berlin"},
		"players": []map[string]any{{"userId": uuid.New(), "raceName": "Andromedans"},
			{"userId": uuid.New(), "raceName": "Betelgeusians"}, {"userId": uuid.New(), "raceName": "Cygnians"}},
		"settings": map[string]any{"seed": 42},
	}, &g)
	a.action(g.ID, "start")

	var st struct {
		Planets []struct {
			Number int
			X, Y   float64
		}
		Races []struct {
			ID   uuid.UUID
			Home int
		}
	}
	a.must(200, "GET", "/api/v1/games/"+g.ID.String()+"/state", uuid.Nil, nil, &st)
	home := map[uuid.UUID]string{}
	for _, r := range st.Races {
		home[r.ID] = fmt.Sprint(r.Home)
	}
	// pick answers the planet whose distance from race p's home is better than every
	// other planet's; farthest and nearest are the two picks used.
	pick := func(p orchestrator.Player, better func(d, best float64) bool, best float64) string {
		var h struct{ X, Y float64 }
		for _, q := range st.Planets {
			if fmt.Sprint(q.Number) == home[p.EnginePlayerID] {
				h.X, h.Y = q.X, q.Y
			}
		}
		found := ""
		for _, q := range st.Planets {
			if d := math.Hypot(q.X-h.X, q.Y-h.Y); d > 0 && better(d, best) {
				found, best = fmt.Sprint(q.Number), d
			}
		}
		return found
	}
	farthest := func(p orchestrator.Player) string { return pick(p, func(d, b float64) bool { return d > b }, 0) }
	nearest := func(p orchestrator.Player) string {
		return pick(p, func(d, b float64) bool { return d < b }, math.Inf(1))
	}
	orders := func(turn int, p orchestrator.Player, list ...map[string]any) {
		a.must(200, "POST", "/api/v1/games/"+g.ID.String()+"/orders", p.UserID, map[string]any{"turn": turn, "orders": list, "final": true}, nil)
	}
	andromedans, betelgeusians := g.Players[0], g.Players[1]
	orders(0, andromedans,
		map[string]any{"type": "design", "name": "Cruiser", "drive": 10, "attacks": 0, "weapons": 0, "shields": 5, "cargo": 0},
		map[string]any{"type": "produce", "planet": home[andromedans.EnginePlayerID], "what": "Cruiser"})
	orders(0, betelgeusians,
		map[string]any{"type": "design", "name": "Freighter", "drive": 4, "attacks": 0, "weapons": 0, "shields": 0, "cargo": 2},
		map[string]any{"type": "produce", "planet": home[betelgeusians.EnginePlayerID], "what": "Freighter"},
		map[string]any{"type": "route", "planet": home[betelgeusians.EnginePlayerID], "cargo": "COL", "to": nearest(betelgeusians)})
	a.action(g.ID, "force-next-turn")
	orders(1, andromedans, map[string]any{"type": "send", "group": 1, "planet": farthest(andromedans)})
	a.action(g.ID, "force-next-turn")
	return &g
}

// mustAddConsoleGames adds games for the list to hold besides the played one: one
// never started, one stopped, and one whose engine cannot start (its last error shown).
func mustAddConsoleGames(a bearerAPI) {
	a.tb.Helper()
	create := func(version string, races ...string) uuid.UUID {
		var players []map[string]any
		for _, r := range races {
			players = append(players, map[string]any{"userId": uuid.New(), "raceName": r})
		}
		var g orchestrator.GameView
		a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{"engineVersion": version,
			"schedule": map[string]string{"cron": "*/30 * * * *", "timezone": "UTC"}, "players": players}, &g)
		return g.ID
	}
	create(DevEngineVersion, "Deneb", "Eridani")
	stopped := create(DevEngineVersion, "Fomalhaut")
	a.action(stopped, "start")
	a.action(stopped, "stop")
	broken := mustScript(a.tb, a.tb.TempDir(), "broken-engine", "echo 'cannot open the galaxy' >&2\nexit 3")
	a.must(201, "POST", "/api/v1/engine-versions", uuid.Nil, map[string]any{"version": "0.0.9", "command": broken}, nil)
	failed := create("0.0.9", "Gemini", "Hydra", "Indus")
	a.do(failed, "start")
}

// findChromium answers the path of a Chromium binary on PATH, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// mustStartBrowser starts headless Chromium (without its sandbox when running as
// root, where it refuses to start otherwise) and collects what its pages write to
// the console. The browser is closed when the test ends, before galaxyd.
func mustStartBrowser(tb testing.TB, path string) (context.Context, *consoleLog) {
	tb.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "en-GB"),
		chromedp.Env("TZ=Europe/Berlin"))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	log := &consoleLog{}
	messages := chromedp.Console(ctx) // starts the browser
	done := make(chan struct{})
	go func() {
		defer close(done)
		for msg, err := range messages {
			if err != nil {
				return
			}
			log.add(msg)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		tb.Fatalf("start %s: %v", path, err)
	}
	return ctx, log
}

// consoleLog keeps the messages of the browser's console.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func (l *consoleLog) add(m chromedp.ConsoleMessage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, m)
}

func (l *consoleLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, m := range l.msgs {
		fmt.Fprintf(&b, "  %s %s %s\n", m.Source, m, m.URL)
	}
	return b.String()
}

// problems are the messages that mean the console is broken: an exception, a
// console.error, or a Content-Security-Policy violation. Failed requests (the
// sign-in's probe without a token answers 401) are the API's answers, not problems.
func (l *consoleLog) problems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.msgs {
		switch {
		case m.IsException(), m.Type == chromedp.ConsoleError && m.Source != "network",
			strings.Contains(m.Text, "Content Security Policy"):
			out = append(out, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
		}
	}
	return out
}

// textIs is a JavaScript expression: the trimmed text of the element sel is want.
func textIs(sel, want string) string {
	return fmt.Sprintf(`(document.querySelector(%s) || {textContent: ""}).textContent.trim() === %s`, jsString(sel), jsString(want))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// screenshotDir is where screenshots go: $GALAXY_SCREENSHOTS (a relative path is
// taken from the repository's root, so GALAXY_SCREENSHOTS=docs writes docs/*.png),
// else a temporary directory of the test.
func screenshotDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("GALAXY_SCREENSHOTS")
	if dir == "" {
		return tb.TempDir()
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir) // this package is cmd/galaxyd
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// bearerAPI is a client of the HTTP API that sends a bearer token.
type bearerAPI struct {
	tb    testing.TB
	base  string
	token string
}

func (a bearerAPI) must(want int, method, path string, user uuid.UUID, body, v any) {
	a.tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != uuid.Nil {
		req.Header.Set("X-Galaxy-User", user.String())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.tb.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			a.tb.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}

func (a bearerAPI) game(id uuid.UUID) *orchestrator.GameView {
	a.tb.Helper()
	var v orchestrator.GameView
	a.must(200, "GET", "/api/v1/games/"+id.String(), uuid.Nil, nil, &v)
	return &v
}

// do runs a lifecycle operation and waits until it has ended, whatever its outcome.
func (a bearerAPI) do(id uuid.UUID, action string) *orchestrator.Operation {
	a.tb.Helper()
	var op orchestrator.Operation
	a.must(202, "POST", "/api/v1/games/"+id.String()+"/"+action, uuid.Nil, nil, &op)
	waitFor(a.tb, browserDeadline, "end of "+action, func() bool {
		a.must(200, "GET", "/api/v1/operations/"+op.ID.String(), uuid.Nil, nil, &op)
		return op.Done()
	})
	return &op
}

// action runs a lifecycle operation and waits until it has succeeded.
func (a bearerAPI) action(id uuid.UUID, action string) {
	a.tb.Helper()
	if op := a.do(id, action); op.Status != orchestrator.OpSucceeded {
		a.tb.Fatalf("%s: %s %s: %s", action, op.Status, op.ErrorCode, op.ErrorMessage)
	}
}
