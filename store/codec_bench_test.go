package store

// The store's codec against encoding/json, on records shaped like a running game's:
//
//	go test -run '^$' -bench BenchmarkCodec ./store

import (
	stdjson "encoding/json"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	segjson "github.com/segmentio/encoding/json"
)

func sampleRecords() (*orchestrator.Runtime, *orchestrator.Game, *orchestrator.Operation) {
	now := time.Now().UTC()
	at := now.Add(time.Hour)
	turn := 3
	r := &orchestrator.Runtime{GameID: uuid.New(), Status: "running", Initialized: true, CurrentTurn: 3, NextTurnAt: &at, EngineVersion: "1.0.0",
		EngineEndpoint: "http://10.0.0.1:23456", JobID: "galaxy-game-x", AllocID: uuid.NewString(), NodeID: uuid.NewString(), EngineHealth: "passing",
		ArchivedTurn: &turn, StartedAt: &now, LastObservedAt: &now, UpdatedAt: now,
		Players: []engine.PlayerSummary{{RaceName: "Alpha", Planets: 3, Population: 1000.5}, {RaceName: "Beta", Planets: 2, Population: 800}}}
	g := &orchestrator.Game{ID: r.GameID, EngineVersion: "1.0.0", Schedule: orchestrator.Schedule{Cron: "0 18 * * *", Timezone: "Europe/Berlin"}, CreatedAt: now,
		Players: []orchestrator.Player{{UserID: uuid.New(), RaceName: "Alpha", EnginePlayerID: uuid.New()}, {UserID: uuid.New(), RaceName: "Beta", EnginePlayerID: uuid.New()}}}
	op := &orchestrator.Operation{ID: uuid.New(), GameID: r.GameID, Op: orchestrator.OpTurn, Source: orchestrator.SourceScheduler, Status: orchestrator.OpRunning, CreatedAt: now, StartedAt: &now, FromStatus: "running"}
	return r, g, op
}

func BenchmarkCodec(b *testing.B) {
	r, g, op := sampleRecords()
	for _, c := range []struct {
		name string
		m    func(any) ([]byte, error)
		u    func([]byte, any) error
	}{
		{"std", stdjson.Marshal, stdjson.Unmarshal},
		{"segment", segjson.Marshal, segjson.Unmarshal},
	} {
		rb, _ := c.m(r)
		gb, _ := c.m(g)
		ob, _ := c.m(op)
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var r2 orchestrator.Runtime
				var g2 orchestrator.Game
				var o2 orchestrator.Operation
				_ = c.u(rb, &r2)
				_ = c.u(gb, &g2)
				_ = c.u(ob, &o2)
			}
		})
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = c.m(r)
				_, _ = c.m(op)
			}
		})
	}
	b.Logf("sizes runtime %d game %d op %d", len(mustJSON(r)), len(mustJSON(g)), len(mustJSON(op)))
}

func mustJSON(v any) []byte { b, _ := stdjson.Marshal(v); return b }

// The store's codec writes what encoding/json writes and reads it back the same, so a
// store written by either reads with the other.
func TestCodecMatchesEncodingJSON(t *testing.T) {
	r, g, op := sampleRecords()
	for _, v := range []any{r, g, op} {
		want, err := stdjson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := segjson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("encoding differs:\n got %s\nwant %s", got, want)
		}
	}
}

// A corrupt record is an error, never a panic (seeded with real records).
func FuzzDecode(f *testing.F) {
	r, g, op := sampleRecords()
	for _, v := range []any{r, g, op} {
		f.Add(mustJSON(v))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r orchestrator.Runtime
		var g orchestrator.Game
		var op orchestrator.Operation
		_ = decode(data, &r, "runtime")
		_ = decode(data, &g, "game")
		_ = decode(data, &op, "operation")
	})
}
