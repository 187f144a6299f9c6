package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/google/uuid"
)

// Figures for moving games (README: Archive, transfer and drain). Benchmarks, not
// timed tests: run them on purpose.
//
//	go test -run '^$' -bench BenchmarkTransfer -benchtime 20x ./cmd/galaxyd/
//	go test -run '^$' -bench BenchmarkDrain -benchtime 1x ./cmd/galaxyd/

// benchNodes is threeNodes with the fake client's volume fingerprint cut to nothing:
// on a real client it takes about a second, which is Nomad's time, not galaxyd's.
func benchNodes(tb testing.TB) *nomadtest.Server {
	return nomadtest.NewServer(tb, nomadtest.Options{EngineBinary: engineBin, Logf: func(string, ...any) {}, FingerprintDelay: time.Microsecond,
		Nodes: []nomadtest.Node{{Name: "fake-1"}, {Name: "fake-2"}, {Name: "fake-3"}}})
}

// BenchmarkTransfer moves one game back and forth and reports the outage players
// see (the operation's outageMs: final snapshot, old engine stopped and its state
// released, new engine placed, restored) on the local driver and on the fake Nomad.
func BenchmarkTransfer(b *testing.B) {
	b.Run("Local", func(b *testing.B) {
		m := MustRunMain(b, b.TempDir())
		benchTransfer(b, api{tb: b, base: m.HTTP.URL()})
	})
	b.Run("NomadFake", func(b *testing.B) {
		_, a := MustRunNomadMain(b, benchNodes(b), "")
		benchTransfer(b, a)
	})
}

func benchTransfer(b *testing.B, a api) {
	id := MustStartGame(b, a, yearly, "Bench")
	MustOrder(b, a, id, 0, "Bench")
	var outage time.Duration
	b.ResetTimer()
	for range b.N {
		op := a.action(id, "transfer", nil)
		outage += time.Duration(op.Details.OutageMS) * time.Millisecond
	}
	b.StopTimer()
	b.ReportMetric(float64(outage.Milliseconds())/float64(b.N), "outage-ms/op")
}

// BenchmarkDrain drains the node holding 100 games on the fake (three nodes) and
// times it until every game runs on another node at its turn, for the default
// drain.max_parallel (4) and a wider one. The drainer queues at most max_parallel
// transfers a pass and, while games are left to move, passes again every second
// (with node_lost_after at its default 5m). The setup (100 starts) is not timed.
func BenchmarkDrain(b *testing.B) {
	for _, parallel := range []int{4, 16} {
		b.Run(fmt.Sprintf("MaxParallel%d", parallel), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				srv := benchNodes(b)
				_, a := MustRunNomadMain(b, srv, fmt.Sprintf("drain {\n  max_parallel = %d\n}\n", parallel))
				one := srv.NodeID("fake-1")
				ids := make([]uuid.UUID, 100)
				for i := range ids {
					ids[i] = MustStartGame(b, a, yearly, fmt.Sprintf("Race%d", i))
				}
				b.StartTimer()
				t0 := time.Now()
				a.must(202, "POST", "/api/v1/nodes/"+one+"/drain", uuid.Nil, map[string]string{"deadline": "1h"}, nil)
				movedOff(b, a, ids, one, 0, 10*time.Minute)
				took := time.Since(t0)
				b.StopTimer()
				var outage time.Duration
				for _, id := range ids {
					for _, op := range transfers(b, a, id) {
						outage += time.Duration(op.Details.OutageMS) * time.Millisecond
					}
				}
				b.ReportMetric(took.Seconds(), "drain-s")
				b.ReportMetric(float64(outage.Milliseconds())/float64(len(ids)), "outage-ms/game")
			}
		})
	}
}
