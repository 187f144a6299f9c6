// Package archivetest is the behaviour every orchestrator.Archive must have, as one
// suite to run against each backend (after litestream's replica-client suite): put and
// read back, idempotent and conflicting puts, lines, listing order, records, games,
// deletion, retention, export and import (and the files import must refuse), damaged
// objects, what is not found, and concurrent use.
package archivetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// Backend is what the suite needs of an implementation.
type Backend struct {
	// Open returns a new, empty archive that stamps CreatedAt from clock. Archives
	// opened in one test are independent of each other (export goes from one to
	// another). Releasing it is Open's business (t.Cleanup).
	Open func(t *testing.T, clock orchestrator.Clock) orchestrator.Archive
	// Corrupt changes the stored bytes of a snapshot of a (keeping its metadata), so
	// that they no longer hold the document that was put. Nil skips the test.
	Corrupt func(t *testing.T, a orchestrator.Archive, gameID uuid.UUID, line, turn int)
}

// T0 is the time the suite's clocks start at.
var T0 = time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)

// Run runs the suite. Its tests do not run in parallel (a backend may set the
// environment).
func Run(t *testing.T, b Backend) {
	s := &suite{b: b}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"RoundTrip", s.roundTrip},
		{"IdempotentPut", s.idempotentPut},
		{"ConflictingPut", s.conflictingPut},
		{"SHA256Mismatch", s.shaMismatch},
		{"Lines", s.lines},
		{"InvalidArguments", s.invalidArguments},
		{"Record", s.record},
		{"Games", s.games},
		{"Delete", s.delete},
		{"Prune", s.prune},
		{"ExportImport", s.exportImport},
		{"ImportConflict", s.importConflict},
		{"ImportRefusesUnsafePaths", s.importUnsafePaths},
		{"ImportRefusesOversizeEntries", s.importOversize},
		{"ImportRefusesDamagedFiles", s.importDamaged},
		{"CorruptedObject", s.corrupted},
		{"NotFound", s.notFound},
		{"Concurrent", s.concurrent},
	} {
		t.Run(tc.name, tc.fn)
	}
}

type suite struct{ b Backend }

// open returns a fresh archive and its clock.
func (s *suite) open(t *testing.T) (orchestrator.Archive, *clocktest.FakeClock) {
	t.Helper()
	clock := clocktest.NewFakeClock(T0)
	return s.b.Open(t, clock), clock
}

// Doc returns a snapshot document of game id at turn, shaped as an engine's (a
// schemaVersion, the game's identity and a state), of roughly size bytes.
func Doc(id uuid.UUID, turn, size int) []byte {
	var state strings.Builder
	for i := 0; state.Len() < size; i++ {
		if i > 0 {
			state.WriteByte(',')
		}
		fmt.Fprintf(&state, `{"number":%d,"x":%d.%03d,"pop":%d,"owner":"%s"}`, i+1, (i*7919+turn)%1000, (i*31+turn)%1000, (i*turn)%997, id)
	}
	return fmt.Appendf(nil, `{"schemaVersion":1,"gameId":"%s","turn":%d,"finished":false,"state":{"turn":%d,"planets":[%s]}}`+"\n", id, turn, turn, state.String())
}

// SHA256 is the hex SHA-256 of doc, as an engine's ETag has it.
func SHA256(doc []byte) string {
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// wantCode fails t unless err has the orchestrator code want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := orchestrator.ErrorCode(err); got != want {
		t.Fatalf("error code %q (%v), want %q", got, err, want)
	}
}

// put puts the snapshot Doc(id, turn, 2000) on line and returns its document.
func put(t *testing.T, a orchestrator.Archive, id uuid.UUID, line, turn int) []byte {
	t.Helper()
	doc := Doc(id, turn+1000*line, 2000)
	if _, err := a.PutSnapshot(context.Background(), id, line, turn, doc, SHA256(doc)); err != nil {
		t.Fatalf("PutSnapshot(line %d, turn %d): %v", line, turn, err)
	}
	return doc
}

// keys are the line and turn of infos, "line/turn" each.
func keys(infos []*orchestrator.SnapshotInfo) string {
	var out []string
	for _, i := range infos {
		out = append(out, fmt.Sprintf("%d/%d", i.Line, i.Turn))
	}
	return strings.Join(out, " ")
}

// list is a's snapshots of id as keys.
func list(t *testing.T, a orchestrator.Archive, id uuid.UUID) string {
	t.Helper()
	infos, err := a.Snapshots(context.Background(), id)
	if err != nil {
		t.Fatalf("Snapshots: %v", err)
	}
	return keys(infos)
}

// games is a.Games as text.
func games(t *testing.T, a orchestrator.Archive) string {
	t.Helper()
	ids, err := a.Games(context.Background())
	if err != nil {
		t.Fatalf("Games: %v", err)
	}
	var out []string
	for _, id := range ids {
		out = append(out, id.String())
	}
	return strings.Join(out, " ")
}

func (s *suite) roundTrip(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	id := uuid.New()
	doc := Doc(id, 7, 50_000)
	// An ETag as the header carries it, quoted, is accepted too.
	info, err := a.PutSnapshot(ctx, id, 0, 7, doc, `"`+SHA256(doc)+`"`)
	if err != nil {
		t.Fatal(err)
	}
	want := orchestrator.SnapshotInfo{GameID: id, Line: 0, Turn: 7, SHA256: SHA256(doc), Size: int64(len(doc)), StoredSize: info.StoredSize, CreatedAt: T0}
	if !sameInfo(*info, want) {
		t.Fatalf("PutSnapshot info = %+v, want %+v", *info, want)
	}
	if info.StoredSize <= 0 || info.StoredSize >= info.Size {
		t.Errorf("StoredSize %d of a %d-byte JSON document: not compressed", info.StoredSize, info.Size)
	}
	got, ginfo, err := a.Snapshot(ctx, id, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, doc) {
		t.Fatalf("Snapshot returned %d bytes, not the %d put", len(got), len(doc))
	}
	if !sameInfo(*ginfo, *info) {
		t.Fatalf("Snapshot info = %+v, want %+v", *ginfo, *info)
	}
	infos, err := a.Snapshots(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || !sameInfo(*infos[0], *info) {
		t.Fatalf("Snapshots = %v, want [%+v]", infos, *info)
	}
	// Without a SHA-256 to check, the archive computes it.
	doc2 := Doc(id, 8, 100)
	info2, err := a.PutSnapshot(ctx, id, 0, 8, doc2, "")
	if err != nil {
		t.Fatal(err)
	}
	if info2.SHA256 != SHA256(doc2) {
		t.Fatalf("SHA256 %s, want %s", info2.SHA256, SHA256(doc2))
	}
}

func (s *suite) idempotentPut(t *testing.T) {
	ctx := context.Background()
	a, clock := s.open(t)
	id := uuid.New()
	doc := Doc(id, 3, 1000)
	first, err := a.PutSnapshot(ctx, id, 0, 3, doc, SHA256(doc))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	again, err := a.PutSnapshot(ctx, id, 0, 3, doc, SHA256(doc))
	if err != nil {
		t.Fatalf("putting the same snapshot again: %v", err)
	}
	if !sameInfo(*again, *first) || !again.CreatedAt.Equal(T0) {
		t.Fatalf("second put = %+v, want the first's %+v (a no-op)", *again, *first)
	}
	if got := list(t, a, id); got != "0/3" {
		t.Fatalf("Snapshots = %s, want 0/3", got)
	}
}

func (s *suite) conflictingPut(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	id := uuid.New()
	doc := put(t, a, id, 0, 3)
	other := Doc(id, 4, 1000)
	_, err := a.PutSnapshot(ctx, id, 0, 3, other, SHA256(other))
	wantCode(t, err, orchestrator.ECONFLICT)
	got, _, err := a.Snapshot(ctx, id, 0, 3)
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("after a conflicting put, Snapshot = %d bytes, %v; want the first document", len(got), err)
	}
	// The same turn on another line is no conflict: that is what lines are for.
	if _, err := a.PutSnapshot(ctx, id, 1, 3, other, SHA256(other)); err != nil {
		t.Fatalf("the same turn on line 1: %v", err)
	}
}

func (s *suite) shaMismatch(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	id := uuid.New()
	doc := Doc(id, 1, 1000)
	_, err := a.PutSnapshot(ctx, id, 0, 1, doc, SHA256(doc[:len(doc)-1]))
	wantCode(t, err, orchestrator.EINVALID)
	_, _, err = a.Snapshot(ctx, id, 0, 1)
	wantCode(t, err, orchestrator.ENOTFOUND)
	if got := list(t, a, id); got != "" {
		t.Fatalf("a refused put left %q", got)
	}
}

func (s *suite) lines(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	id := uuid.New()
	docs := map[string][]byte{}
	// Put out of order, with turns whose text and number order differ (9 < 10).
	for _, k := range [][2]int{{1, 10}, {0, 10}, {0, 2}, {1, 9}, {0, 1}, {0, 9}, {2, 3}} {
		docs[fmt.Sprintf("%d/%d", k[0], k[1])] = put(t, a, id, k[0], k[1])
	}
	if got, want := list(t, a, id), "0/1 0/2 0/9 0/10 1/9 1/10 2/3"; got != want {
		t.Fatalf("Snapshots = %s, want %s", got, want)
	}
	// A rollback's new line stands beside the old one: both read back as put.
	for k, doc := range docs {
		var line, turn int
		fmt.Sscanf(k, "%d/%d", &line, &turn)
		got, info, err := a.Snapshot(ctx, id, line, turn)
		if err != nil {
			t.Fatalf("Snapshot %s: %v", k, err)
		}
		if !bytes.Equal(got, doc) || info.Line != line || info.Turn != turn {
			t.Fatalf("Snapshot %s returned another document (line %d turn %d)", k, info.Line, info.Turn)
		}
	}
}

func (s *suite) invalidArguments(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	id := uuid.New()
	doc := Doc(id, 1, 100)
	var err error
	for name, call := range map[string]func() error{
		"PutSnapshot zero game": func() error { _, err = a.PutSnapshot(ctx, uuid.Nil, 0, 1, doc, ""); return err },
		"PutSnapshot line -1":   func() error { _, err = a.PutSnapshot(ctx, id, -1, 1, doc, ""); return err },
		"PutSnapshot turn -1":   func() error { _, err = a.PutSnapshot(ctx, id, 0, -1, doc, ""); return err },
		"PutSnapshot empty":     func() error { _, err = a.PutSnapshot(ctx, id, 0, 1, nil, ""); return err },
		"Snapshot zero game":    func() error { _, _, err = a.Snapshot(ctx, uuid.Nil, 0, 1); return err },
		"Snapshot line -1":      func() error { _, _, err = a.Snapshot(ctx, id, -1, 1); return err },
		"Snapshot turn -1":      func() error { _, _, err = a.Snapshot(ctx, id, 0, -1); return err },
		"Snapshots zero game":   func() error { _, err = a.Snapshots(ctx, uuid.Nil); return err },
		"PutRecord zero game":   func() error { return a.PutRecord(ctx, uuid.Nil, []byte(`{}`)) },
		"PutRecord not JSON":    func() error { return a.PutRecord(ctx, id, []byte(`{"game":`)) },
		"Record zero game":      func() error { _, err = a.Record(ctx, uuid.Nil); return err },
		"Delete zero game":      func() error { return a.Delete(ctx, uuid.Nil) },
		"Prune zero game": func() error {
			_, err = a.Prune(ctx, uuid.Nil, orchestrator.Retention{KeepAll: time.Hour}, T0)
			return err
		},
		"Prune negative KeepAll": func() error {
			_, err = a.Prune(ctx, id, orchestrator.Retention{KeepAll: -time.Hour}, T0)
			return err
		},
		"Prune negative KeepEvery": func() error {
			_, err = a.Prune(ctx, id, orchestrator.Retention{KeepAll: time.Hour, KeepEvery: -1}, T0)
			return err
		},
		"Export zero game": func() error { return a.Export(ctx, uuid.Nil, &bytes.Buffer{}) },
	} {
		if got := orchestrator.ErrorCode(call()); got != orchestrator.EINVALID {
			t.Errorf("%s: code %q, want %q", name, got, orchestrator.EINVALID)
		}
	}
	if got := games(t, a); got != "" {
		t.Fatalf("refused calls left games %s", got)
	}
}

func (s *suite) record(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	id := uuid.New()
	_, err := a.Record(ctx, id)
	wantCode(t, err, orchestrator.ENOTFOUND)
	for _, rec := range []string{`{"game":{"name":"first"},"version":1}`, `{"game":{"name":"second"},"version":2}` + "\n"} {
		if err := a.PutRecord(ctx, id, []byte(rec)); err != nil {
			t.Fatal(err)
		}
		got, err := a.Record(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != rec {
			t.Fatalf("Record = %q, want %q", got, rec)
		}
	}
	// A record is no snapshot.
	if got := list(t, a, id); got != "" {
		t.Fatalf("Snapshots = %q after PutRecord, want none", got)
	}
}

func (s *suite) games(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	if got := games(t, a); got != "" {
		t.Fatalf("Games of an empty archive = %s", got)
	}
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	if err := a.PutRecord(ctx, ids[0], []byte(`{}`)); err != nil { // a record only
		t.Fatal(err)
	}
	put(t, a, ids[1], 0, 0) // a snapshot only
	put(t, a, ids[2], 0, 1) // both
	put(t, a, ids[2], 1, 2)
	if err := a.PutRecord(ctx, ids[2], []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	want := make([]string, 0, len(ids))
	for _, id := range ids {
		want = append(want, id.String())
	}
	slices.Sort(want)
	if got := games(t, a); got != strings.Join(want, " ") {
		t.Fatalf("Games = %s, want %s", got, strings.Join(want, " "))
	}
}

func (s *suite) delete(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	id, other := uuid.New(), uuid.New()
	for _, g := range []uuid.UUID{id, other} {
		put(t, a, g, 0, 1)
		put(t, a, g, 1, 2)
		if err := a.PutRecord(ctx, g, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := games(t, a); got != other.String() {
		t.Fatalf("Games after Delete = %s, want only %s", got, other)
	}
	_, err := a.Record(ctx, id)
	wantCode(t, err, orchestrator.ENOTFOUND)
	_, _, err = a.Snapshot(ctx, id, 0, 1)
	wantCode(t, err, orchestrator.ENOTFOUND)
	if got := list(t, a, id); got != "" {
		t.Fatalf("Snapshots after Delete = %s", got)
	}
	if err := a.Delete(ctx, id); err != nil {
		t.Fatalf("Delete again: %v (want idempotent)", err)
	}
	if got := list(t, a, other); got != "0/1 1/2" {
		t.Fatalf("the other game's snapshots = %s, want 0/1 1/2", got)
	}
	if _, err := a.Record(ctx, other); err != nil {
		t.Fatalf("the other game's record: %v", err)
	}
}

func (s *suite) prune(t *testing.T) {
	ctx := context.Background()
	a, clock := s.open(t)
	id := uuid.New()
	// Line 1, turns 1 and 3, at T0; then line 0, turns 0..10, turn i at T0+(i+1)h.
	put(t, a, id, 1, 1)
	put(t, a, id, 1, 3)
	for turn := 0; turn <= 10; turn++ {
		clock.Advance(time.Hour)
		put(t, a, id, 0, turn)
	}
	now := T0.Add(20 * time.Hour)
	all := "0/0 0/1 0/2 0/3 0/4 0/5 0/6 0/7 0/8 0/9 0/10 1/1 1/3"

	n, err := a.Prune(ctx, id, orchestrator.Retention{KeepAll: 0, KeepEvery: 4}, now)
	if err != nil || n != 0 || list(t, a, id) != all {
		t.Fatalf("Prune with zero KeepAll deleted %d (%v), left %s; want it to keep everything", n, err, list(t, a, id))
	}
	// Younger than 10h: turn 10 of line 0 only (turn 9 is exactly 10h old). Of the
	// older ones, every 4th turn; and the latest of each line (0/10, 1/3) in any case.
	r := orchestrator.Retention{KeepAll: 10 * time.Hour, KeepEvery: 4}
	n, err = a.Prune(ctx, id, r, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0/0 0/4 0/8 0/10 1/3"; n != 8 || list(t, a, id) != want {
		t.Fatalf("Prune deleted %d, left %s; want 8 deleted, %s left", n, list(t, a, id), want)
	}
	if n, err = a.Prune(ctx, id, r, now); err != nil || n != 0 {
		t.Fatalf("Prune again deleted %d (%v), want 0", n, err)
	}
	// Zero KeepEvery keeps of the old only the latest of each line.
	n, err = a.Prune(ctx, id, orchestrator.Retention{KeepAll: time.Hour}, now)
	if want := "0/10 1/3"; err != nil || n != 3 || list(t, a, id) != want {
		t.Fatalf("Prune without KeepEvery deleted %d (%v), left %s; want 3 deleted, %s left", n, err, list(t, a, id), want)
	}
	if _, _, err := a.Snapshot(ctx, id, 0, 10); err != nil {
		t.Fatalf("a kept snapshot does not read back: %v", err)
	}
	// A game without snapshots has nothing to prune.
	if n, err := a.Prune(ctx, uuid.New(), r, now); err != nil || n != 0 {
		t.Fatalf("Prune of an unknown game = %d, %v", n, err)
	}
}
