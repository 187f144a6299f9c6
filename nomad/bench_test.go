package nomad_test

import (
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
)

// BenchmarkStart measures what one Start costs apart from the engine: wall time from
// the Start call to the instance, minus the engine's own startup (process start to
// its first passing /healthz, timed by the fake), and the API calls one start makes.
//
//	go test -run '^$' -bench BenchmarkStart -benchtime 50x ./nomad/
func BenchmarkStart(b *testing.B) {
	srv := MustServer(b, nomadtest.Options{})
	cfg := testConfig(srv)
	// Back-to-back starts would otherwise measure the client-side rate limit (about
	// seven calls a start); the point here is the driver's own latency.
	cfg.RateLimit, cfg.RateBurst = 10000, 100
	d := MustOpen(b, cfg)
	MustStart(b, d, newSpec("0.1.0")) // warm up: connections, the watch
	var overhead, engine time.Duration
	srv.ResetCounts()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		inst := MustStart(b, d, newSpec("0.1.0"))
		total := time.Since(t0)
		up, ok := srv.EngineStartup(inst.AllocID)
		if !ok {
			b.Fatal("the fake did not time the engine's startup")
		}
		overhead += total - up
		engine += up
	}
	b.StopTimer()
	nomadCalls, consulCalls := 0, 0
	for k, v := range srv.Counts() {
		if strings.HasPrefix(k, "consul ") {
			consulCalls += v
		} else {
			nomadCalls += v
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(overhead.Microseconds())/1000/n, "overhead-ms/op")
	b.ReportMetric(float64(engine.Microseconds())/1000/n, "engine-ms/op")
	b.ReportMetric(float64(nomadCalls)/n, "nomad-calls/op")
	b.ReportMetric(float64(consulCalls)/n, "consul-calls/op")
	b.Logf("requests for %d starts:\n%s", b.N, nomadtest.FormatCounts(srv.Counts()))
}

// TestStartOverhead holds the driver to its budget: under 20 ms per start on top of
// the engine's own startup, and a bounded number of Nomad calls (blocking queries,
// not polling), against the fake.
func TestStartOverhead(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test; skipped with -short")
	}
	srv := MustServer(t, nomadtest.Options{})
	cfg := testConfig(srv)
	cfg.RateLimit, cfg.RateBurst = 10000, 100
	d := MustOpen(t, cfg)
	MustStart(t, d, newSpec("0.1.0"))
	const n = 10
	var best time.Duration = time.Hour
	srv.ResetCounts()
	for range n {
		t0 := time.Now()
		inst := MustStart(t, d, newSpec("0.1.0"))
		total := time.Since(t0)
		up, _ := srv.EngineStartup(inst.AllocID)
		best = min(best, total-up)
	}
	calls := 0
	for k, v := range srv.Counts() {
		if !strings.HasPrefix(k, "consul ") {
			calls += v
		}
	}
	t.Logf("best overhead %s; nomad calls per start %.1f\n%s", best, float64(calls)/n, nomadtest.FormatCounts(srv.Counts()))
	// The best of ten, so a loaded CI machine does not make this flaky.
	if best > 20*time.Millisecond {
		t.Errorf("overhead: got %s, want under 20ms", best)
	}
	if perStart := calls / n; perStart > 12 {
		t.Errorf("nomad calls per start: got %d, want at most 12 (polling?)", perStart)
	}
}
