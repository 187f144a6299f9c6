package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// scale creates c.Games games in a galaxyd -dev and measures its memory, its list and
// metrics endpoints at that count, and its boot on the same store.
func scale(ctx context.Context, c config, out io.Writer) error {
	dir, cleanup, err := workDir(c, "")
	if err != nil {
		return err
	}
	defer cleanup()
	g, err := startGalaxyd(ctx, c, dir)
	if err != nil {
		return err
	}
	defer func() { g.stop() }()
	cl, err := ghttp.NewClient(g.url)
	if err != nil {
		return err
	}
	versions, err := cl.EngineVersions(ctx)
	if err != nil || len(versions) == 0 {
		return fmt.Errorf("no engine version registered (%v)", err)
	}
	version := versions[0].Version

	settle := func() {
		select {
		case <-ctx.Done():
		case <-time.After(3 * time.Second): // lets the runtime return what a burst freed
		}
	}
	settle()
	mem0, err := g.memory()
	if err != nil {
		return err
	}
	heap0, live0, err := g.heap(ctx)
	if err != nil {
		return err
	}

	// Create.
	ids := make([]uuid.UUID, c.Games)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for range c.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= c.Games || ctx.Err() != nil {
					return
				}
				in := orchestrator.GameInput{EngineVersion: version, Schedule: orchestrator.Schedule{Cron: "0 18 * * *", Timezone: "Europe/Berlin"},
					Players: []orchestrator.PlayerInput{{UserID: uuid.New(), RaceName: "Alpha"}, {UserID: uuid.New(), RaceName: "Beta"}}}
				v, _, err := cl.CreateGame(ctx, in, "")
				if err != nil {
					failed.Add(1)
					continue
				}
				ids[i] = v.ID
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	took := time.Since(began)
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d creates failed; see %s", f, c.Games, g.log)
	}
	settle()
	mem1, err := g.memory()
	if err != nil {
		return err
	}
	heap1, live1, err := g.heap(ctx)
	if err != nil {
		return err
	}
	n := int64(c.Games)
	fmt.Fprintf(out, "## %d games created in %.1f s (%.0f creates/s, %d in flight)\n\n", c.Games, took.Seconds(), float64(c.Games)/took.Seconds(), c.Concurrency)
	fmt.Fprintf(out, "| galaxyd memory | idle | with %d games | per game |\n|---|---|---|---|\n", c.Games)
	fmt.Fprintf(out, "| RSS | %s | %s | %d B |\n", mib(mem0.RSS), mib(mem1.RSS), (mem1.RSS-mem0.RSS)/n)
	fmt.Fprintf(out, "| of which anonymous (heap, stacks) | %s | %s | %d B |\n", mib(mem0.Anon), mib(mem1.Anon), (mem1.Anon-mem0.Anon)/n)
	fmt.Fprintf(out, "| of which the bbolt file's pages | %s | %s | %d B |\n", mib(mem0.File), mib(mem1.File), (mem1.File-mem0.File)/n)
	fmt.Fprintf(out, "| Go heap in use (live and not yet collected) | %s | %s | %d B |\n", mib(heap0), mib(heap1), (heap1-heap0)/n)
	fmt.Fprintf(out, "| Go heap live at the last GC | %s | %s | %d B |\n\n", mib(live0), mib(live1), (live1-live0)/n)

	// The API at that count.
	hc := &http.Client{Timeout: 30 * time.Second}
	rng := rand.New(rand.NewPCG(1, 2))
	get := func(path string) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", g.url+path, nil)
		t0 := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return d, err
	}
	fmt.Fprintf(out, "| at %d games, %d requests each | p50 | p99 |\n|---|---|---|\n", c.Games, c.Requests)
	for _, q := range []struct{ name, path string }{
		{"`GET /games` first page (100)", "/api/v1/games"},
		{"`GET /games?after=<random>` (100)", "/api/v1/games?after=%s"},
		{"`GET /games?limit=1000`", "/api/v1/games?limit=1000&after=%s"},
		{"`GET /games?status=running` (no match: 10,000 looked at, then `next`)", "/api/v1/games?status=running&after=%s"},
		{"`GET /games?paused=true` (likewise)", "/api/v1/games?paused=true&after=%s"},
		{"`GET /games?node=n1` (likewise)", "/api/v1/games?node=n1&after=%s"},
		{"`GET /metrics`", "/metrics"},
	} {
		var l latencies
		for range c.Requests {
			path := q.path
			if len(path) > 2 && path[len(path)-2:] == "%s" {
				path = fmt.Sprintf(path, ids[rng.IntN(len(ids))])
			}
			d, err := get(path)
			if err != nil {
				return err
			}
			l = append(l, d)
		}
		fmt.Fprintf(out, "| %s | %s | %s |\n", q.name, ms(l.pct(0.5)), ms(l.pct(0.99)))
	}

	// The boot on that store.
	g.stop()
	t0 := time.Now()
	g, err = startGalaxyd(ctx, c, dir)
	if err != nil {
		return err
	}
	boot := time.Since(t0)
	settle()
	mem2, err := g.memory()
	if err != nil {
		return err
	}
	heap2, live2, err := g.heap(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nBoot with %d games (exec to `/readyz` 200): %.2f s; after it, RSS %s (anonymous %s, file %s), Go heap %s in use, %s live.\n",
		c.Games, boot.Seconds(), mib(mem2.RSS), mib(mem2.Anon), mib(mem2.File), mib(heap2), mib(live2))
	return nil
}
