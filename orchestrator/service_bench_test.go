package orchestrator_test

// End-to-end turn firing through the real Service and a bbolt file, and the boot-time
// rebuild of the scheduler from the store:
//
//	go test -run '^$' -bench BenchmarkServiceTurns -benchtime 1x ./orchestrator/

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

// BenchmarkServiceTurns stores 100k running games (10% due within one second), opens a
// Service on the file (the boot: scheduler rebuilt from bbolt), and measures how late
// the engine's turn call comes after each deadline: scheduler, bbolt writes (the turn is
// recorded as in progress before the call) and the worker pool included; the engine
// answers at once.
//
// Spread puts the 10k deadlines one per millisecond over the second (games whose
// schedules differ by seconds); Instant puts them all at the second's first instant, as
// 10k games with one cron deadline ("0 18 * * *") have them. recorded-after-last-due-ms
// is how long after the last deadline every turn was recorded.
func BenchmarkServiceTurns(b *testing.B) {
	for _, c := range []struct {
		name   string
		spread time.Duration // the deadlines span [start, start+spread)
	}{{"Spread", time.Second}, {"Instant", 0}} {
		b.Run(c.name, func(b *testing.B) { benchServiceTurns(b, c.spread) })
	}
}

func benchServiceTurns(b *testing.B, spread time.Duration) {
	due := func(start time.Time, j int) time.Time { return start.Add(spread * time.Duration(j%1000) / 1000) }
	for i := 0; i < b.N; i++ {
		const dueNow = benchGames / 10
		path := filepath.Join(b.TempDir(), "galaxy.db")
		st, err := store.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		driver := newFakeDriver()
		start := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
		deadlines := make(map[uuid.UUID]time.Time, dueNow)
		ctx := context.Background()
		if err := st.Update(ctx, func(tx orchestrator.Tx) error {
			return tx.PutEngineVersion(&orchestrator.EngineVersion{Version: "1.0.0", Command: "/bin/engine", Enabled: true})
		}); err != nil {
			b.Fatal(err)
		}
		for chunk := 0; chunk < benchGames; chunk += 10_000 {
			if err := st.Update(ctx, func(tx orchestrator.Tx) error {
				for j := chunk; j < chunk+10_000; j++ {
					id := uuid.New()
					at := due(start, j)
					if j >= dueNow {
						at = at.Add(24 * time.Hour)
					} else {
						deadlines[id] = at
					}
					g := &orchestrator.Game{ID: id, EngineVersion: "1.0.0", Schedule: orchestrator.Schedule{Cron: "0 0 * * *", Timezone: "UTC"},
						Players: []orchestrator.Player{{UserID: uuid.New(), RaceName: "A", EnginePlayerID: uuid.New()}}, CreatedAt: start}
					r := &orchestrator.Runtime{GameID: id, Status: orchestrator.StatusRunning, Initialized: true, EngineVersion: "1.0.0", NextTurnAt: &at, UpdatedAt: start}
					if err := tx.PutGame(g); err != nil {
						return err
					}
					if err := tx.PutRuntime(r); err != nil {
						return err
					}
					if err := tx.PutGameSecret(id, "token"); err != nil {
						return err
					}
					driver.running[id] = true
					driver.engines[id] = &fakeEngine{gameID: id, inited: true}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}

		// Setup takes seconds; the due second is set only now, two seconds ahead.
		start = time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
		if err := st.Update(ctx, func(tx orchestrator.Tx) error {
			j := 0
			for id := range deadlines {
				at := due(start, j)
				j++
				deadlines[id] = at
				r, err := tx.Runtime(id)
				if err != nil {
					return err
				}
				r.NextTurnAt = &at
				if err := tx.PutRuntime(r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}

		var mu sync.Mutex
		late := make([]time.Duration, 0, dueNow)
		done := make(chan struct{})
		svc := orchestrator.NewService(orchestrator.Config{
			Store: st, Driver: driver, Discovery: driver,
			Engines: func(ep, _ string) orchestrator.EngineClient {
				id := uuid.MustParse(ep[len("fake://"):])
				e := driver.engine(id)
				e.setTurnErr(func(context.Context, int) error {
					d := time.Since(deadlines[id])
					mu.Lock()
					if late = append(late, d); len(late) == dueNow {
						close(done)
					}
					mu.Unlock()
					return nil
				})
				return e
			},
		})
		t0 := time.Now()
		if err := svc.Open(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "boot-100k-s")
		if time.Now().After(start) {
			b.Fatal("boot took longer than the lead time; raise it")
		}
		written0 := writtenBytes()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("only %d of %d turns ran", len(late), dueNow)
		}
		b.ReportMetric(time.Since(start).Seconds(), "all-10k-engine-calls-s")
		// Recorded: no game is generation_in_progress any more.
		for {
			var counts orchestrator.RuntimeCounts
			if err := st.View(ctx, func(tx orchestrator.Tx) (err error) {
				counts, err = tx.RuntimeCounts()
				return err
			}); err != nil {
				b.Fatal(err)
			}
			inProgress := 0
			for _, n := range counts.ByStatus[orchestrator.StatusGenerationInProgress] {
				inProgress += n
			}
			if inProgress == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond) // a benchmark's poll, not a test's synchronisation
		}
		b.ReportMetric(time.Since(start).Seconds(), "all-10k-recorded-s")
		b.ReportMetric(time.Since(due(start, 999)).Seconds()*1e3, "recorded-after-last-due-ms")
		b.ReportMetric(float64(writtenBytes()-written0)/(1<<20), "written-MiB")
		b.ReportMetric(pct(late, 0).Seconds()*1e3, "late-min-ms")
		b.ReportMetric(pct(late, 0.50).Seconds()*1e3, "late-p50-ms")
		b.ReportMetric(pct(late, 0.99).Seconds()*1e3, "late-p99-ms")
		b.ReportMetric(pct(late, 0.999).Seconds()*1e3, "late-p99.9-ms")
		svc.Close()
		st.Close()
		_ = engine.State{}
	}
}

// writtenBytes is what this process has had written to storage (/proc/self/io), 0
// where that is not known.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
