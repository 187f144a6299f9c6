package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// BenchmarkSimulatedDay runs a day of a platform's life on a compressed clock: N games
// of four races with a daily turn each (their slots spread over the day), real engine
// processes, and players arriving as a Poisson process — three sessions per player a
// day, each a report read and an order submission through galaxyd's API. It reports
// the engines running over the day (mean and peak, as a share of the games), how long
// wakes took, how late turns were, and how many player calls failed, once with engines
// that never sleep and once with each idle.after:
//
//	go test -run '^$' -bench BenchmarkSimulatedDay/Local -benchtime 1x -timeout 3h ./cmd/galaxyd/
//	GALAXY_DAY_GAMES=500 go test -run '^$' -bench BenchmarkSimulatedDay/Nomad -benchtime 1x -timeout 3h ./cmd/galaxyd/
//
// GALAXY_DAY_GAMES (default 1000) and GALAXY_DAY_SPEED (default 240: a day in six
// minutes) change the size and the compression. Only waiting is compressed: a process
// start, an engine call or a Nomad allocation takes its real time, which the compressed
// clock sees 240 times longer. So the settings that bound real work are given in real
// time: wake_ahead 5 s, wake_timeout 30 s, turn backoff 1 s (each times the speed on
// the compressed clock). The Nomad runs use the fake Nomad with a dev agent's
// latencies (nomadtest.RealLatency), each allocation a real engine.
func BenchmarkSimulatedDay(b *testing.B) {
	games := envInt(b, "GALAXY_DAY_GAMES", 1000)
	speed := envInt(b, "GALAXY_DAY_SPEED", 240)
	for _, driver := range []string{"Local", "Nomad"} {
		b.Run(driver, func(b *testing.B) {
			for _, idle := range []string{"off", "5m", "15m"} {
				b.Run("Idle"+idle, func(b *testing.B) {
					day := &simDay{games: games, speed: float64(speed), idleAfter: idle, nomad: driver == "Nomad"}
					for range b.N {
						day.run(b)
					}
				})
			}
		})
	}
}

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// simDay is one simulated day's set-up and what it measured.
type simDay struct {
	games     int
	speed     float64 // compressed seconds per real second
	idleAfter string  // "off" or an idle.after on the compressed clock
	nomad     bool

	clock *compressedClock
	m     *Main
	a     api
	ids   []uuid.UUID
	slot  map[uuid.UUID]time.Duration // each game's turn, as an offset into the day
	users map[uuid.UUID][]uuid.UUID

	sessions, failed, closed atomic.Int64
	callTook                 []time.Duration // a session's calls, real time
	failures                 map[string]int  // "GET 503 unavailable: …" → count
	callMu                   sync.Mutex
}

// fail counts a failed session by its call, status and error.
func (d *simDay) fail(method string, status int, body []byte) {
	d.failed.Add(1)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	d.callMu.Lock()
	if d.failures == nil {
		d.failures = map[string]int{}
	}
	d.failures[fmt.Sprintf("%s %d %s: %s", method, status, e.Error.Code, e.Error.Message)]++
	d.callMu.Unlock()
}

// real converts a duration on the compressed clock to real time.
func (d *simDay) real(sim time.Duration) time.Duration {
	return time.Duration(float64(sim) / d.speed)
}

// sim converts a real duration to the compressed clock's.
func (d *simDay) sim(real time.Duration) time.Duration {
	return time.Duration(float64(real) * d.speed)
}

func (d *simDay) run(b *testing.B) {
	b.StopTimer()
	midnight := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	d.clock = newCompressedClock(midnight, d.speed)
	d.boot(b)
	d.create(b)
	d.startAll(b)

	// The measured day begins half an hour after every game runs, when the engines
	// that were just started have had the time to fall asleep (each game's daily slot
	// falls once in any 24 hours); the players come from then on.
	from := d.clock.Now().Truncate(time.Minute).Add(30 * time.Minute)
	d.clock.waitUntil(from)
	to := from.Add(24 * time.Hour)
	b.StartTimer()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	running := make(chan []int, 1)
	go func() { defer wg.Done(); running <- d.sample(ctx, to) }()
	go func() { defer wg.Done(); d.players(ctx, to) }()
	d.clock.waitUntil(to)
	cancel()
	wg.Wait()
	b.StopTimer()
	// The last slots' turns may come after the day's end when late: give them an hour.
	d.clock.waitUntil(to.Add(time.Hour))
	d.report(b, <-running, from, to)
}

// boot runs galaxyd on the compressed clock with the day's idle settings.
func (d *simDay) boot(b *testing.B) {
	dir := b.TempDir()
	real := func(r time.Duration) string { return d.sim(r).String() }
	idle := `idle { after = "0" }`
	if d.idleAfter != "off" {
		idle = fmt.Sprintf("idle {\n  after = %q\n  wake_ahead = %q\n  wake_timeout = %q\n}", d.idleAfter, real(5*time.Second), real(30*time.Second))
	}
	cfg := fmt.Sprintf(`operations {
  workers      = 64
  turn_backoff = %q
}
reconcile {
  interval = %q
}
%s
`, real(time.Second), real(30*time.Second), idle)
	if d.nomad {
		srv := nomadtest.NewServer(b, nomadtest.Options{EngineBinary: engineBin, Logf: func(string, ...any) {}, Latency: nomadtest.RealLatency,
			FingerprintDelay: time.Second, CheckInterval: 2 * time.Second})
		cfg += fmt.Sprintf("driver = \"nomad\"\nnomad {\n  address = %q\n  consul_address = %q\n  driver = \"raw_exec\"\n  rate_limit = 2000\n  rate_burst = 500\n  max_concurrent = 128\n}\n", srv.NomadAddr(), srv.ConsulAddr())
	}
	path := filepath.Join(dir, "galaxyd.hcl")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	m := NewMain()
	m.Clock = d.clock
	d.m = mustRun(b, m, filepath.Join(dir, "data"), "-config", path)
	d.a = api{tb: b, base: d.m.HTTP.URL()}
}

// create makes the games, four races each, with their daily slots spread evenly.
func (d *simDay) create(b *testing.B) {
	d.slot, d.users = map[uuid.UUID]time.Duration{}, map[uuid.UUID][]uuid.UUID{}
	for i := range d.games {
		at := time.Duration(i) * 24 * time.Hour / time.Duration(d.games)
		at = at.Truncate(time.Minute)
		var players []map[string]any
		var users []uuid.UUID
		for r := range 4 {
			u := uuid.New()
			users = append(users, u)
			players = append(players, map[string]any{"userId": u, "raceName": fmt.Sprintf("Race%d", r)})
		}
		var g orchestrator.GameView
		d.a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
			"engineVersion": DevEngineVersion,
			"schedule":      map[string]string{"cron": fmt.Sprintf("%d %d * * *", int(at.Minutes())%60, int(at.Hours())), "timezone": "UTC"},
			"players":       players,
		}, &g)
		d.ids = append(d.ids, g.ID)
		d.slot[g.ID], d.users[g.ID] = at, users
	}
}

// startAll starts every game and waits until each has run its start.
func (d *simDay) startAll(b *testing.B) {
	ops := make([]*orchestrator.Operation, len(d.ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i, id := range d.ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var op orchestrator.Operation
			d.a.must(202, "POST", "/api/v1/games/"+id.String()+"/start", uuid.Nil, nil, &op)
			ops[i] = &op
		}()
	}
	wg.Wait()
	for _, op := range ops {
		cur := d.a.waitDone(op, 30*time.Minute)
		if cur.Status != orchestrator.OpSucceeded {
			b.Fatalf("start of %s: %s %s", cur.GameID, cur.ErrorCode, cur.ErrorMessage)
		}
	}
}

// sample counts the engines running once a compressed minute until to.
func (d *simDay) sample(ctx context.Context, to time.Time) []int {
	var counts []int
	for d.clock.Now().Before(to) {
		insts, err := d.m.Driver.Instances(ctx)
		if err != nil {
			return counts
		}
		n := 0
		for _, in := range insts {
			if in.Running {
				n++
			}
		}
		counts = append(counts, n)
		select {
		case <-ctx.Done():
			return counts
		case <-time.After(d.real(time.Minute)):
		}
	}
	return counts
}

// players runs sessions as a Poisson process until to: three per player a day.
func (d *simDay) players(ctx context.Context, to time.Time) {
	rng := rand.New(rand.NewPCG(1, 2))
	perDay := float64(len(d.ids) * 4 * 3)
	// Idle connections are dropped before galaxyd's server drops them (its idle timeout
	// is 2 min): a POST sent on a connection the server is closing fails, and is not
	// retried. A lobby's client wants the same.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}, Timeout: 2 * time.Minute}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		gap := time.Duration(rng.ExpFloat64() / perDay * float64(24*time.Hour))
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.real(gap)):
		}
		if !d.clock.Now().Before(to) {
			return
		}
		id := d.ids[rng.IntN(len(d.ids))]
		user := d.users[id][rng.IntN(4)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.session(client, id, user)
		}()
	}
}

// session reads the race's report and submits orders for the open turn.
func (d *simDay) session(c *http.Client, id, user uuid.UUID) {
	n := d.sessions.Add(1)
	t0 := time.Now()
	status, body := d.call(c, "GET", "/api/v1/games/"+id.String()+"/report", user, nil)
	if status != 200 {
		d.fail("GET report", status, body)
		return
	}
	var rep struct {
		Turn int `json:"turn"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		d.fail("GET report", status, []byte(`{"error":{"message":"unreadable report"}}`))
		return
	}
	status, body = d.call(c, "POST", "/api/v1/games/"+id.String()+"/orders", user,
		map[string]any{"turn": rep.Turn, "orders": []any{design(fmt.Sprintf("S%d", n))}})
	switch status {
	case 200: // (each session designs a ship type of a name of its own: names stay taken)
	case 409: // the turn closed between the report and the orders: what a player sees too
		d.closed.Add(1)
	default:
		d.fail("POST orders", status, body)
		return
	}
	d.callMu.Lock()
	d.callTook = append(d.callTook, time.Since(t0))
	d.callMu.Unlock()
}

func (d *simDay) call(c *http.Client, method, path string, user uuid.UUID, body any) (int, []byte) {
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, d.a.base+path, r)
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Galaxy-User", user.String())
	resp, err := c.Do(req)
	if err != nil {
		msg, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "transport", "message": err.Error()}})
		return 0, msg
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// report reads the day's operations and reports its figures.
func (d *simDay) report(b *testing.B, running []int, from, to time.Time) {
	ctx := context.Background()
	var wakes, late []time.Duration
	turns, missed, waited, failedWakes := 0, 0, 0, 0
	for _, id := range d.ids {
		ops, err := d.m.Service.Operations(ctx, id, 0)
		if err != nil {
			b.Fatal(err)
		}
		sort.Slice(ops, func(i, j int) bool { return ops[i].CreatedAt.Before(ops[j].CreatedAt) })
		slot := from.Truncate(24 * time.Hour).Add(d.slot[id])
		if slot.Before(from) {
			slot = slot.Add(24 * time.Hour)
		}
		turned := false
		var wokeAt time.Time
		for _, op := range ops {
			if op.Op == orchestrator.OpTurn && op.Status == orchestrator.OpSucceeded && op.StartedAt != nil &&
				!turned && !op.CreatedAt.Before(slot.Add(-time.Minute)) && op.CreatedAt.Before(to.Add(time.Hour)) {
				// The slot's turn, even when it came after the day's end.
				turned = true
				turns++
				late = append(late, d.real(op.StartedAt.Sub(slot)))
				if wokeAt.After(slot) {
					waited++
				}
				continue
			}
			if op.CreatedAt.Before(from) || !op.CreatedAt.Before(to) {
				continue
			}
			switch {
			case op.Op == orchestrator.OpWake && op.Status == orchestrator.OpSucceeded:
				wakes = append(wakes, d.real(op.FinishedAt.Sub(op.CreatedAt)))
				if op.Source == orchestrator.SourceScheduler {
					wokeAt = *op.FinishedAt
				}
			case op.Op == orchestrator.OpWake:
				failedWakes++
			}
		}
		if !turned {
			missed++
		}
	}
	mean, peak := 0.0, 0
	for _, n := range running {
		mean += float64(n)
		peak = max(peak, n)
	}
	if len(running) > 0 {
		mean /= float64(len(running))
	}
	g := float64(len(d.ids))
	b.ReportMetric(100*mean/g, "running-mean-%")
	b.ReportMetric(100*float64(peak)/g, "running-peak-%")
	b.ReportMetric(float64(len(wakes)), "wakes")
	b.ReportMetric(pct(wakes, 50).Seconds()*1000, "wake-p50-ms")
	b.ReportMetric(pct(wakes, 99).Seconds()*1000, "wake-p99-ms")
	b.ReportMetric(float64(failedWakes), "wakes-failed")
	b.ReportMetric(float64(turns), "turns")
	b.ReportMetric(float64(missed), "turns-missed")
	b.ReportMetric(float64(waited), "turns-waited-for-a-wake")
	b.ReportMetric(pct(late, 50).Seconds()*1000, "turn-late-p50-ms")
	b.ReportMetric(pct(late, 99).Seconds()*1000, "turn-late-p99-ms")
	b.ReportMetric(float64(d.sessions.Load()), "sessions")
	b.ReportMetric(float64(d.failed.Load()), "sessions-failed")
	b.ReportMetric(float64(d.closed.Load()), "orders-turn-closed")
	d.callMu.Lock()
	for what, n := range d.failures {
		b.Logf("%d sessions failed: %s", n, what)
	}
	b.ReportMetric(pct(d.callTook, 50).Seconds()*1000, "session-p50-ms")
	b.ReportMetric(pct(d.callTook, 99).Seconds()*1000, "session-p99-ms")
	d.callMu.Unlock()
}

// pct is the p-th percentile of ds (0 when empty); ds is sorted in place.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := int(math.Ceil(float64(len(ds))*float64(p)/100)) - 1
	return ds[max(i, 0)]
}

// compressedClock is an orchestrator.Clock whose time runs speed times faster than
// the wall's, from start: waiting is compressed, work is not.
type compressedClock struct {
	start time.Time // on the compressed clock
	real0 time.Time // on the wall
	speed float64
}

func newCompressedClock(start time.Time, speed float64) *compressedClock {
	return &compressedClock{start: start, real0: time.Now(), speed: speed}
}

func (c *compressedClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.real0)) * c.speed))
}

func (c *compressedClock) NewTimer(d time.Duration) orchestrator.Timer {
	t := &compressedTimer{c: make(chan time.Time, 1)}
	t.t = time.AfterFunc(time.Duration(float64(d)/c.speed), func() { t.c <- c.Now() })
	return t
}

// waitUntil sleeps until the compressed clock reads at.
func (c *compressedClock) waitUntil(at time.Time) {
	if d := at.Sub(c.Now()); d > 0 {
		time.Sleep(time.Duration(float64(d) / c.speed))
	}
}

type compressedTimer struct {
	t *time.Timer
	c chan time.Time
}

func (t *compressedTimer) C() <-chan time.Time { return t.c }
func (t *compressedTimer) Stop() bool          { return t.t.Stop() }
