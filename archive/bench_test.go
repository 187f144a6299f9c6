package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/engine/game"
	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
)

// benchTurns is how many consecutive turns' snapshots a benchmark cycles through, after
// benchWarmup turns of play.
const benchTurns, benchWarmup = 10, 20

// snapshotDocs plays a game of races races by the reference engine's rules (every
// race orders production on each of its planets every turn) and returns the snapshot
// documents of benchTurns turns after the warm-up, as GET /api/v1/admin/snapshot
// answers them: the state is json.Marshal of the game, as state.json holds it, and
// withReports adds every race's report of the turn (reports=true).
func snapshotDocs(tb testing.TB, races int, withReports bool) [][]byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(races), 7))
	rs := make([]engine.Race, races)
	for i := range rs {
		rs[i] = engine.Race{RaceName: fmt.Sprintf("Race%02d", i+1), PlayerID: uuid.New()}
	}
	g, err := game.New(uuid.New(), rs, game.Settings{Seed: 42, HasSeed: true})
	if err != nil {
		tb.Fatal(err)
	}
	products := []string{"CAP", "MAT", "DRIVE", "WEAPONS", "SHIELDS", "CARGO"}
	var docs [][]byte
	for turn := 1; turn <= benchWarmup+benchTurns; turn++ {
		for _, r := range rs {
			var orders []json.RawMessage
			for _, p := range g.Planets {
				if p.Owner == r.PlayerID {
					orders = append(orders, fmt.Appendf(nil, `{"type":"produce","planet":%d,"what":%q}`, p.Number, products[rng.IntN(len(products))]))
				}
			}
			if _, err := g.SetOrders(r.PlayerID, g.Turn, orders, true); err != nil {
				tb.Fatal(err)
			}
		}
		if _, err := g.Generate(turn); err != nil {
			tb.Fatal(err)
		}
		if turn > benchWarmup {
			docs = append(docs, snapshotDoc(tb, g, withReports))
		}
	}
	return docs
}

// snapshotDoc is g's snapshot document, as engine/server builds it.
func snapshotDoc(tb testing.TB, g *game.Game, withReports bool) []byte {
	tb.Helper()
	state, err := json.Marshal(g)
	if err != nil {
		tb.Fatal(err)
	}
	doc := engine.Snapshot{
		SchemaVersion: engine.SnapshotSchemaVersion, GameID: g.ID, Turn: g.Turn, Finished: g.Finished,
		State: state,
	}
	for _, r := range g.Races {
		if !withReports {
			break
		}
		if doc.Reports == nil {
			doc.Reports = map[uuid.UUID]json.RawMessage{}
		}
		rep, err := g.Report(r.ID)
		if err != nil {
			tb.Fatal(err)
		}
		if doc.Reports[r.ID], err = json.Marshal(rep); err != nil {
			tb.Fatal(err)
		}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return append(body, '\n')
}

// BenchmarkPutSnapshot measures PutSnapshot (the SHA-256, zstd at the default level,
// the existence check and the write, fsync'd on the file backend) of 2-, 10- and
// 50-race games' snapshots, with and without reports, on the file backend and on the
// S3 backend against gofakes3, and reports the document's and the stored object's
// bytes per turn and their ratio.
func BenchmarkPutSnapshot(b *testing.B) {
	for _, races := range []int{2, 10, 50} {
		for _, withReports := range []bool{true, false} {
			docs := snapshotDocs(b, races, withReports)
			sums := make([]string, len(docs))
			for i, d := range docs {
				sums[i] = hexSHA256(d)
			}
			for _, backend := range []string{"file", "s3"} {
				b.Run(fmt.Sprintf("races=%d/reports=%v/%s", races, withReports, backend), func(b *testing.B) {
					benchPut(b, backend, docs, sums)
				})
			}
		}
	}
}

// benchPut puts docs, cycling, as turns 0, 1, 2... of one game.
func benchPut(b *testing.B, backend string, docs [][]byte, sums []string) {
	var a *Archive
	if backend == "file" {
		a = openFile(b)
	} else {
		a = newFakeS3(b).open(b)
	}
	ctx := context.Background()
	id := uuid.New()
	var size, stored int64
	n := 0
	for b.Loop() {
		i := n % len(docs)
		info, err := a.PutSnapshot(ctx, id, 0, n, docs[i], sums[i])
		if err != nil {
			b.Fatal(err)
		}
		size += info.Size
		stored += info.StoredSize
		n++
	}
	b.SetBytes(size / int64(n))
	b.ReportMetric(float64(size)/float64(n), "doc-B/turn")
	b.ReportMetric(float64(stored)/float64(n), "stored-B/turn")
	b.ReportMetric(float64(size)/float64(stored), "ratio")
}

// BenchmarkCompressionLevel compares zstd's levels on a 50-race game's snapshots:
// compression alone, no backend.
func BenchmarkCompressionLevel(b *testing.B) {
	docs := snapshotDocs(b, 50, true)
	for _, level := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression, zstd.SpeedBestCompression} {
		b.Run(level.String(), func(b *testing.B) {
			c, err := newCodec(level, DefaultMaxSnapshotBytes)
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			var size, stored int64
			n := 0
			for b.Loop() {
				doc := docs[n%len(docs)]
				size += int64(len(doc))
				stored += int64(len(c.compress(doc)))
				n++
			}
			b.SetBytes(size / int64(n))
			b.ReportMetric(float64(stored)/float64(n), "stored-B/turn")
			b.ReportMetric(float64(size)/float64(stored), "ratio")
		})
	}
}
