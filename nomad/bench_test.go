package nomad_test

import (
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
)

// BenchmarkStart measures what one Start costs apart from the engine: wall time from
// the Start call to the instance, minus the engine's own startup (process start to
// its first passing /healthz, timed by the fake), on average and at best, and the API
// calls one start makes. The goal is under 20 ms at best; the figures are in the
// README. (TestStartCalls holds the call count; no unit test holds the time.)
//
//	go test -run '^$' -bench BenchmarkStart -benchtime 50x ./nomad/
func BenchmarkStart(b *testing.B) {
	// The fake client's own fingerprint delay is Nomad's time, not the driver's.
	srv := MustServer(b, nomadtest.Options{FingerprintDelay: time.Microsecond})
	cfg := testConfig(srv)
	// Back-to-back starts would otherwise measure the client-side rate limit (about
	// seven calls a start); the point here is the driver's own latency.
	cfg.RateLimit, cfg.RateBurst = 10000, 100
	d := MustOpen(b, cfg)
	MustStart(b, d, newSpec("0.1.0")) // warm up: connections, the watch
	var overhead, engine time.Duration
	best := time.Duration(-1)
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
		if best < 0 || total-up < best {
			best = total - up
		}
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
	b.ReportMetric(float64(best.Microseconds())/1000, "best-overhead-ms")
	b.ReportMetric(float64(engine.Microseconds())/1000/n, "engine-ms/op")
	b.ReportMetric(float64(nomadCalls)/n, "nomad-calls/op")
	b.ReportMetric(float64(consulCalls)/n, "consul-calls/op")
	b.Logf("requests for %d starts:\n%s", b.N, nomadtest.FormatCounts(srv.Counts()))
}

// TestStartCalls holds a start to a bounded number of Nomad calls, all blocking
// queries or single writes, no polling, against the fake. (How long the driver
// takes on top of the engine is BenchmarkStart's figure, not a test's budget.)
func TestStartCalls(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	cfg := testConfig(srv)
	cfg.RateLimit, cfg.RateBurst = 10000, 100
	d := MustOpen(t, cfg)
	MustStart(t, d, newSpec("0.1.0"))
	const n = 10
	srv.ResetCounts()
	for range n {
		MustStart(t, d, newSpec("0.1.0"))
	}
	calls := 0
	for k, v := range srv.Counts() {
		if !strings.HasPrefix(k, "consul ") {
			calls += v
		}
	}
	t.Logf("nomad calls per start %.1f\n%s", float64(calls)/n, nomadtest.FormatCounts(srv.Counts()))
	if perStart := calls / n; perStart > 14 {
		t.Errorf("nomad calls per start: got %d, want at most 14 (polling?)", perStart)
	}
}
