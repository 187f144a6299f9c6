package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// proxy measures what galaxyd adds to a player's call: a game runs on galaxyd -dev
// (its engine a real galaxy-engine started by the local driver), a second engine of the
// same binary runs beside it with a game of its own, and the same calls go to both at
// c.RPS each, interleaved, in one run. State — galaxyd's store and both engines' — is on
// tmpfs, so that no fsync hides the proxy's own cost.
func proxy(ctx context.Context, c config, out io.Writer) error {
	dir, cleanup, err := workDir(c, "/dev/shm")
	if err != nil {
		return err
	}
	defer cleanup()
	g, err := startGalaxyd(ctx, c, dir)
	if err != nil {
		return err
	}
	defer g.stop()
	cl, err := ghttp.NewClient(g.url)
	if err != nil {
		return err
	}
	cl.HTTPClient = &http.Client{Transport: transport()}
	versions, err := cl.EngineVersions(ctx)
	if err != nil || len(versions) == 0 {
		return fmt.Errorf("no engine version registered (%v)", err)
	}
	user := uuid.New()
	v, _, err := cl.CreateGame(ctx, orchestrator.GameInput{EngineVersion: versions[0].Version,
		Schedule: orchestrator.Schedule{Cron: "0 0 1 1 *", Timezone: "UTC"},
		Players:  []orchestrator.PlayerInput{{UserID: user, RaceName: "Alpha"}, {UserID: uuid.New(), RaceName: "Beta"}}}, "")
	if err != nil {
		return err
	}
	if _, err := cl.Start(ctx, v.ID, orchestrator.SourceLobby); err != nil {
		return err
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		gv, err := cl.Game(ctx, v.ID)
		if err != nil {
			return err
		}
		if gv.Runtime.Status == orchestrator.StatusRunning {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the game is %s after 60s; see %s", gv.Runtime.Status, g.log)
		}
		time.Sleep(20 * time.Millisecond) // polling a child's progress
	}

	// The engine beside it.
	port, err := freePort()
	if err != nil {
		return err
	}
	state := filepath.Join(dir, "direct")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return err
	}
	token := uuid.NewString() + uuid.NewString()
	ep, err := startProcess(c.Engine, nil, []string{"GAME_STATE_PATH=" + state, "GALAXY_ENGINE_ADMIN_TOKEN=" + token,
		"GALAXY_ENGINE_ADDR=127.0.0.1:" + strconv.Itoa(port)}, filepath.Join(dir, "engine.log"))
	if err != nil {
		return err
	}
	defer ep.stop()
	base := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := ep.waitHTTP(ctx, base+"/healthz"); err != nil {
		return err
	}
	direct := engine.NewClient(base, token, engine.WithHTTPClient(&http.Client{Transport: transport()}))
	actor := uuid.New()
	if _, err := direct.Init(ctx, engine.InitRequest{GameID: uuid.New(), Races: []engine.Race{{RaceName: "Alpha", PlayerID: actor}, {RaceName: "Beta", PlayerID: uuid.New()}}}); err != nil {
		return err
	}

	turn := 0
	calls := []struct {
		name            string
		direct, proxied func(context.Context) error
	}{
		{"report (`GET /games/{id}/report`)",
			func(ctx context.Context) error { _, err := direct.Report(ctx, actor, 0); return err },
			func(ctx context.Context) error {
				_, err := cl.Report(ctx, v.ID, user, orchestrator.ReportQuery{Turn: &turn})
				return err
			}},
		{"orders (`POST /games/{id}/orders`, journalled by galaxyd)",
			func(ctx context.Context) error {
				_, err := direct.SubmitOrders(ctx, engine.OrdersRequest{Actor: actor, Turn: 0, Orders: []json.RawMessage{}})
				return err
			},
			func(ctx context.Context) error {
				_, err := cl.SubmitOrders(ctx, v.ID, user, orchestrator.OrdersInput{Turn: &turn, Orders: []json.RawMessage{}})
				return err
			}},
	}
	fmt.Fprintf(out, "| %d rps each path, %s, side by side | direct p50 / p99 / p99.9 | through galaxyd p50 / p99 / p99.9 | added at p99 |\n|---|---|---|---|\n", c.RPS, c.Duration)
	for _, call := range calls {
		d, p, err := sideBySide(ctx, c, call.direct, call.proxied)
		if err != nil {
			return fmt.Errorf("%s: %w", call.name, err)
		}
		fmt.Fprintf(out, "| %s | %s / %s / %s | %s / %s / %s | %s |\n", call.name,
			ms(d.pct(0.5)), ms(d.pct(0.99)), ms(d.pct(0.999)), ms(p.pct(0.5)), ms(p.pct(0.99)), ms(p.pct(0.999)), ms(p.pct(0.99)-d.pct(0.99)))
	}
	return nil
}

// sideBySide sends a and b alternately, open loop, c.RPS each per second for
// c.Duration after a second of warm-up, and returns their latencies.
func sideBySide(ctx context.Context, c config, a, b func(context.Context) error) (la, lb latencies, err error) {
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(2*c.RPS))
	defer tick.Stop()
	warm := time.Now().Add(time.Second)
	end := warm.Add(c.Duration)
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil, nil, ctx.Err()
		case now := <-tick.C:
			if now.After(end) {
				wg.Wait()
				return la, lb, first
			}
			f, into := a, &la
			if i%2 == 1 {
				f, into = b, &lb
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				t0 := time.Now()
				err := f(ctx)
				d := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && first == nil {
					first = err
				}
				if t0.After(warm) {
					*into = append(*into, d)
				}
			}()
		}
	}
}

// transport is a keep-alive transport with room for the calls in flight.
func transport() *http.Transport {
	return &http.Transport{Proxy: nil, MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
}
