package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine/game"
	"github.com/galaxy-orchestrator/galaxy/engine/game/gametest"
)

// GroupsPerRace is the benchmarks' mid-game size: 40 groups a race, 2,000 at 50 races.
const GroupsPerRace = 40

// BenchmarkTurn generates one mid-game turn per iteration (gametest.MidGame: battles,
// bombings, cargo, movement, production) through the admin/turn handler, including the
// atomic write of state.json (temp file, fsync, rename, directory fsync) and the turn's
// link in the history. Every iteration starts from the same state (restored with the
// timer stopped).
func BenchmarkTurn(b *testing.B) {
	for _, n := range []int{2, 10, 50} {
		b.Run(fmt.Sprintf("races=%d", n), func(b *testing.B) {
			mid, err := gametest.MidGame(n, GroupsPerRace, 1)
			if err != nil {
				b.Fatal(err)
			}
			data, err := json.Marshal(mid)
			if err != nil {
				b.Fatal(err)
			}
			s, dir := MustServer(b)
			body := map[string]int{"turn": mid.Turn + 1}
			for b.Loop() {
				b.StopTimer()
				g, err := game.Decode(data)
				if err != nil {
					b.Fatal(err)
				}
				s.game, s.saved = g, data
				b.StartTimer()
				if w := do(b, s, "POST", "/api/v1/admin/turn", body); w.Code != http.StatusOK {
					b.Fatalf("turn: status = %d: %s", w.Code, w.Body)
				}
			}
			fi, err := os.Stat(filepath.Join(dir, StateFile))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(fi.Size()), "state-bytes")
			b.ReportMetric(float64(n*GroupsPerRace), "groups")
		})
	}
}
