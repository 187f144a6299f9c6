package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// BenchmarkStartsAtScale starts b.N new games at once on the fake Nomad with a real
// dev agent's latencies (nomadtest.RealLatency: API answers, scheduling, and the ~1 s
// until a client reports an allocation running, each allocation a real engine) and
// reports starts per second, Nomad and Consul calls per start, and the time galaxyd
// adds to a start over that floor. Once with galaxyd's default client limits (50 calls
// a second to Nomad, bursts of 25, 8 short calls in flight: an operator's protection of
// the cluster), once with them raised:
//
//	go test -run '^$' -bench BenchmarkStartsAtScale -benchtime 1000x -timeout 30m ./cmd/galaxyd/
func BenchmarkStartsAtScale(b *testing.B) {
	for _, c := range []struct{ name, limits string }{
		{"DefaultLimits", ""},
		{"Raised", "  rate_limit     = 2000\n  rate_burst     = 500\n  max_concurrent = 128\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := nomadtest.NewServer(b, nomadtest.Options{EngineBinary: engineBin, Logf: func(string, ...any) {}, Latency: nomadtest.RealLatency,
				// A real client fingerprints a new volume in about a second, and checks
				// an engine's health every 2 s (the fake's default 50 ms would have a
				// thousand engines probed 20,000 times a second).
				FingerprintDelay: time.Second, CheckInterval: 2 * time.Second})
			dir := b.TempDir()
			cfg := filepath.Join(dir, "galaxyd.hcl")
			hcl := fmt.Sprintf("driver = \"nomad\"\nnomad {\n  address = \"%s\"\n  consul_address = \"%s\"\n  driver = \"raw_exec\"\n%s}\n", srv.NomadAddr(), srv.ConsulAddr(), c.limits)
			if err := os.WriteFile(cfg, []byte(hcl), 0o600); err != nil {
				b.Fatal(err)
			}
			m := MustRunMain(b, dir, "-config", cfg)
			a := api{tb: b, base: m.HTTP.URL()}
			benchStarts(b, a, srv)
		})
	}
}

func benchStarts(b *testing.B, a api, srv *nomadtest.Server) {
	ids := make([]uuid.UUID, b.N)
	for i := range ids {
		var g orchestrator.GameView
		a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
			"engineVersion": DevEngineVersion,
			"schedule":      map[string]string{"cron": yearly},
			"players":       []map[string]any{{"userId": uuid.New(), "raceName": "Bench"}},
		}, &g)
		ids[i] = g.ID
	}
	srv.ResetCounts()
	cpu0 := cpuTime()
	b.ResetTimer()
	t0 := time.Now()
	var wg sync.WaitGroup
	ops := make([]*orchestrator.Operation, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ops[i] = a.post(id, "start", nil)
		}()
	}
	wg.Wait()
	waitFor(b, 30*time.Minute, "every game running", func() bool {
		_, body := a.do("GET", "/metrics", uuid.Nil, nil)
		return strings.Contains(string(body), fmt.Sprintf(`galaxy_games{status="running"} %d`, len(ids)))
	})
	elapsed := time.Since(t0)
	b.StopTimer()
	cpu := cpuTime() - cpu0

	var took []time.Duration
	for _, op := range ops {
		cur := a.waitDone(op, time.Minute)
		if cur.Status != orchestrator.OpSucceeded {
			b.Fatalf("start %s: %s %s", cur.ID, cur.ErrorCode, cur.ErrorMessage)
		}
		took = append(took, cur.FinishedAt.Sub(*cur.StartedAt))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	nomadCalls, consulCalls := 0, 0
	for k, v := range srv.Counts() {
		if strings.HasPrefix(k, "consul ") {
			consulCalls += v
		} else {
			nomadCalls += v
		}
	}
	n := float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), "starts/s")
	b.ReportMetric(float64(nomadCalls)/n, "nomad-calls/start")
	b.ReportMetric(float64(consulCalls)/n, "consul-calls/start")
	b.ReportMetric(took[len(took)/2].Seconds(), "start-p50-s")
	b.ReportMetric(took[len(took)*99/100].Seconds(), "start-p99-s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu-ms/start")
}

// cpuTime is the CPU this process (galaxyd and the fake, not the engines) has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
