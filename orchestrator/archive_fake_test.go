package orchestrator_test

import (
	"bytes"
	"context"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// memArchive is an in-memory orchestrator.Archive for the service's tests (the real
// backends have their own suite in archive/). down makes every call fail as an
// unreachable backend does.
type memArchive struct {
	mu      sync.Mutex
	snaps   map[uuid.UUID]map[[2]int][]byte
	records map[uuid.UUID][]byte
	down    bool
}

func newMemArchive() *memArchive {
	return &memArchive{snaps: map[uuid.UUID]map[[2]int][]byte{}, records: map[uuid.UUID][]byte{}}
}

func (a *memArchive) setDown(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down = down
}

func (a *memArchive) check() error {
	if a.down {
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "archive unreachable")
	}
	return nil
}

func (a *memArchive) PutSnapshot(_ context.Context, id uuid.UUID, line, turn int, doc []byte, _ string) (*orchestrator.SnapshotInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.check(); err != nil {
		return nil, err
	}
	if a.snaps[id] == nil {
		a.snaps[id] = map[[2]int][]byte{}
	}
	if old, ok := a.snaps[id][[2]int{line, turn}]; ok && !bytes.Equal(old, doc) {
		// Snapshots are immutable, as in the real archive.
		return nil, orchestrator.Errorf(orchestrator.ECONFLICT, "line %d turn %d holds another snapshot", line, turn)
	}
	a.snaps[id][[2]int{line, turn}] = append([]byte(nil), doc...)
	return &orchestrator.SnapshotInfo{GameID: id, Line: line, Turn: turn, Size: int64(len(doc))}, nil
}

func (a *memArchive) Snapshot(_ context.Context, id uuid.UUID, line, turn int) ([]byte, *orchestrator.SnapshotInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.check(); err != nil {
		return nil, nil, err
	}
	doc, ok := a.snaps[id][[2]int{line, turn}]
	if !ok {
		return nil, nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no snapshot")
	}
	return doc, &orchestrator.SnapshotInfo{GameID: id, Line: line, Turn: turn}, nil
}

func (a *memArchive) Snapshots(_ context.Context, id uuid.UUID) ([]*orchestrator.SnapshotInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.check(); err != nil {
		return nil, err
	}
	var out []*orchestrator.SnapshotInfo
	for k := range a.snaps[id] {
		out = append(out, &orchestrator.SnapshotInfo{GameID: id, Line: k[0], Turn: k[1]})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Line < out[j].Line || out[i].Line == out[j].Line && out[i].Turn < out[j].Turn
	})
	return out, nil
}

// turns lists the archived turns of a game's line.
func (a *memArchive) turns(id uuid.UUID, line int) []int {
	infos, _ := a.Snapshots(context.Background(), id)
	var out []int
	for _, in := range infos {
		if in.Line == line {
			out = append(out, in.Turn)
		}
	}
	return out
}

func (a *memArchive) PutRecord(_ context.Context, id uuid.UUID, doc []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.check(); err != nil {
		return err
	}
	a.records[id] = append([]byte(nil), doc...)
	return nil
}

func (a *memArchive) Record(_ context.Context, id uuid.UUID) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	doc, ok := a.records[id]
	if !ok {
		return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no record")
	}
	return doc, nil
}

func (a *memArchive) Games(context.Context) ([]uuid.UUID, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[uuid.UUID]bool{}
	for id := range a.snaps {
		seen[id] = true
	}
	for id := range a.records {
		seen[id] = true
	}
	var out []uuid.UUID
	for id := range seen {
		out = append(out, id)
	}
	return out, nil
}

func (a *memArchive) Delete(_ context.Context, id uuid.UUID) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.snaps, id)
	delete(a.records, id)
	return nil
}

func (a *memArchive) Prune(context.Context, uuid.UUID, orchestrator.Retention, time.Time) (int, error) {
	return 0, nil
}

func (a *memArchive) Export(context.Context, uuid.UUID, io.Writer) error {
	return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "not in the in-memory archive")
}

func (a *memArchive) Import(context.Context, io.Reader) (uuid.UUID, []byte, error) {
	return uuid.Nil, nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "not in the in-memory archive")
}
