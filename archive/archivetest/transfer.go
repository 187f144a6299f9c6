package archivetest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// exported fills a new archive with one game (a record and snapshots on two lines)
// and returns the archive, the game, its record and its export file.
func (s *suite) exported(t *testing.T) (orchestrator.Archive, uuid.UUID, []byte, []byte) {
	t.Helper()
	ctx := context.Background()
	a, clock := s.open(t)
	id := uuid.New()
	for _, k := range [][2]int{{0, 0}, {0, 1}, {0, 2}, {1, 2}, {1, 3}} {
		put(t, a, id, k[0], k[1])
		clock.Advance(time.Minute)
	}
	record := []byte(`{"game":{"id":"` + id.String() + `","name":"Andromeda"},"version":"1.2.0"}`)
	if err := a.PutRecord(ctx, id, record); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := a.Export(ctx, id, &buf); err != nil {
		t.Fatal(err)
	}
	return a, id, record, buf.Bytes()
}

func (s *suite) exportImport(t *testing.T) {
	ctx := context.Background()
	src, id, record, file := s.exported(t)
	dst, clock := s.open(t)
	clock.Advance(24 * time.Hour) // the import keeps the snapshots' own times
	gotID, gotRecord, err := dst.Import(ctx, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if gotID != id || !bytes.Equal(gotRecord, record) {
		t.Fatalf("Import = %s, %q; want %s, %q", gotID, gotRecord, id, record)
	}
	if rec, err := dst.Record(ctx, id); err != nil || !bytes.Equal(rec, record) {
		t.Fatalf("imported Record = %q, %v", rec, err)
	}
	want, err := src.Snapshots(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Snapshots(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if keys(got) != keys(want) {
		t.Fatalf("imported snapshots %s, want %s", keys(got), keys(want))
	}
	for i := range want {
		if !sameInfo(*got[i], *want[i]) {
			t.Fatalf("imported snapshot %+v, want %+v (stored as is, times kept)", *got[i], *want[i])
		}
		doc, _, err := dst.Snapshot(ctx, id, want[i].Line, want[i].Turn)
		if err != nil {
			t.Fatal(err)
		}
		orig, _, err := src.Snapshot(ctx, id, want[i].Line, want[i].Turn)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(doc, orig) {
			t.Fatalf("imported snapshot %d/%d differs from the exported one", want[i].Line, want[i].Turn)
		}
	}
	// The imported game exports again to a file that imports elsewhere.
	var again bytes.Buffer
	if err := dst.Export(ctx, id, &again); err != nil {
		t.Fatal(err)
	}
	third, _ := s.open(t)
	if _, _, err := third.Import(ctx, &again); err != nil {
		t.Fatalf("re-export does not import: %v", err)
	}
}

// sameInfo reports whether x and y are equal, CreatedAt as an instant (its location
// may differ).
func sameInfo(x, y orchestrator.SnapshotInfo) bool {
	if !x.CreatedAt.Equal(y.CreatedAt) {
		return false
	}
	x.CreatedAt, y.CreatedAt = time.Time{}, time.Time{}
	return x == y
}

func (s *suite) importConflict(t *testing.T) {
	ctx := context.Background()
	src, id, _, file := s.exported(t)
	_, _, err := src.Import(ctx, bytes.NewReader(file))
	wantCode(t, err, orchestrator.ECONFLICT)
	dst, _ := s.open(t)
	if _, _, err := dst.Import(ctx, bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	_, _, err = dst.Import(ctx, bytes.NewReader(file))
	wantCode(t, err, orchestrator.ECONFLICT)
	// A game that holds only a record is held too.
	other, _ := s.open(t)
	if err := other.PutRecord(ctx, id, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	_, _, err = other.Import(ctx, bytes.NewReader(file))
	wantCode(t, err, orchestrator.ECONFLICT)
	if rec, _ := other.Record(ctx, id); string(rec) != `{}` {
		t.Fatalf("a refused import replaced the record: %q", rec)
	}
}

// entry is one entry of a tar file.
type entry struct {
	hdr  *tar.Header
	data []byte
}

// entries reads a tar file.
func entries(t *testing.T, file []byte) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(bytes.NewReader(file))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{hdr, data})
	}
}

// tarFile writes es as a tar file.
func tarFile(t *testing.T, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		hdr := *e.hdr
		hdr.Format = tar.FormatPAX // any name goes
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// refused imports file into a new archive and wants EINVALID, with nothing left of it.
func (s *suite) refused(t *testing.T, what string, file []byte) {
	t.Helper()
	dst, _ := s.open(t)
	_, _, err := dst.Import(context.Background(), bytes.NewReader(file))
	if got := orchestrator.ErrorCode(err); got != orchestrator.EINVALID {
		t.Fatalf("%s: import code %q (%v), want %q", what, got, err, orchestrator.EINVALID)
	}
	if got := games(t, dst); got != "" {
		t.Fatalf("%s: a refused import left game %s", what, got)
	}
}

func (s *suite) importUnsafePaths(t *testing.T) {
	_, _, _, file := s.exported(t)
	es := entries(t, file)
	if len(es) < 3 {
		t.Fatalf("the export has %d entries, want a manifest, a record and snapshots", len(es))
	}
	// The last entry is renamed, so that the entries before it were already
	// imported when it is refused: the refusal must take them back.
	for _, name := range []string{
		"../record.json", "/etc/passwd", "snapshots/../../escape.json.zst", "snapshots/../../../tmp/x",
		"..", "./" + es[len(es)-1].hdr.Name, `snapshots\..\..\x`, "snapshots//0000-00000003.json.zst",
	} {
		bad := append([]entry(nil), es...)
		hdr := *bad[len(bad)-1].hdr
		hdr.Name = name
		bad[len(bad)-1] = entry{&hdr, bad[len(bad)-1].data}
		s.refused(t, "entry named "+name, tarFile(t, bad))
	}
	// A link or a directory in place of a snapshot.
	for _, typ := range []byte{tar.TypeSymlink, tar.TypeLink, tar.TypeDir} {
		bad := append([]entry(nil), es...)
		hdr := *bad[len(bad)-1].hdr
		hdr.Typeflag, hdr.Linkname, hdr.Size = typ, "/etc/passwd", 0
		bad[len(bad)-1] = entry{&hdr, nil}
		s.refused(t, "entry of type "+string(typ), tarFile(t, bad))
	}
	// An entry that is not part of an export file.
	extra := append(append([]entry(nil), es...), entry{&tar.Header{Typeflag: tar.TypeReg, Name: "notes.txt", Mode: 0o600, Size: 2}, []byte("hi")})
	s.refused(t, "an extra entry", tarFile(t, extra))
}

// headerOnly is a tar stream of es followed by one header claiming size bytes of
// content that never come: what an import must refuse before reading.
func headerOnly(t *testing.T, es []entry, name string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Write(tarFile(t, es))
	buf.Truncate(buf.Len() - 1024) // drop the end-of-archive blocks
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: size, Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes() // no content, no Close
}

func (s *suite) importOversize(t *testing.T) {
	_, _, _, file := s.exported(t)
	es := entries(t, file)
	const huge = 1 << 40
	s.refused(t, "a 1 TiB manifest", headerOnly(t, nil, es[0].hdr.Name, huge))
	for i := 1; i < len(es); i++ {
		s.refused(t, "a 1 TiB "+es[i].hdr.Name, headerOnly(t, es[:i], es[i].hdr.Name, huge))
	}
}

func (s *suite) importDamaged(t *testing.T) {
	_, _, _, file := s.exported(t)
	es := entries(t, file)
	s.refused(t, "an empty file", nil)
	s.refused(t, "not a tar file", []byte(strings.Repeat("not a tar file\n", 100)))
	s.refused(t, "a truncated file", file[:len(file)/2])
	s.refused(t, "no entries but the manifest", tarFile(t, es[:1]))
	s.refused(t, "a missing snapshot", tarFile(t, es[:len(es)-1]))
	for i := 1; i < len(es); i++ {
		bad := append([]entry(nil), es...)
		data := bytes.Clone(es[i].data)
		data[len(data)/2] ^= 0x20
		bad[i] = entry{es[i].hdr, data}
		s.refused(t, "a damaged "+es[i].hdr.Name, tarFile(t, bad))
	}
	dup := append(append([]entry(nil), es...), es[len(es)-1])
	s.refused(t, "a duplicate entry", tarFile(t, dup))
	// The manifest first, or nothing.
	swapped := append([]entry{es[1], es[0]}, es[2:]...)
	s.refused(t, "the manifest second", tarFile(t, swapped))
}

func (s *suite) corrupted(t *testing.T) {
	if s.b.Corrupt == nil {
		t.Skip("the backend cannot corrupt an object")
	}
	ctx := context.Background()
	a, _ := s.open(t)
	id := uuid.New()
	put(t, a, id, 0, 1)
	put(t, a, id, 0, 2)
	if err := a.PutRecord(ctx, id, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	s.b.Corrupt(t, a, id, 0, 2)
	_, _, err := a.Snapshot(ctx, id, 0, 2)
	wantCode(t, err, orchestrator.EINTERNAL)
	if !strings.Contains(err.Error(), id.String()) {
		t.Fatalf("the error does not name the damaged object: %v", err)
	}
	if _, _, err := a.Snapshot(ctx, id, 0, 1); err != nil {
		t.Fatalf("the undamaged snapshot: %v", err)
	}
	wantCode(t, a.Export(ctx, id, io.Discard), orchestrator.EINTERNAL)
	// Putting the same document again repairs the stored copy.
	doc := Doc(id, 2, 2000)
	if _, err := a.PutSnapshot(ctx, id, 0, 2, doc, SHA256(doc)); err != nil {
		t.Fatalf("putting a damaged snapshot's document again: %v", err)
	}
	if got, _, err := a.Snapshot(ctx, id, 0, 2); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("after the repair, Snapshot = %d bytes, %v; want the document", len(got), err)
	}
	if err := a.Export(ctx, id, io.Discard); err != nil {
		t.Fatalf("after the repair, Export: %v", err)
	}
}

func (s *suite) notFound(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	id, unknown := uuid.New(), uuid.New()
	put(t, a, id, 0, 1)
	_, _, err := a.Snapshot(ctx, unknown, 0, 1)
	wantCode(t, err, orchestrator.ENOTFOUND)
	_, _, err = a.Snapshot(ctx, id, 0, 2)
	wantCode(t, err, orchestrator.ENOTFOUND)
	_, _, err = a.Snapshot(ctx, id, 1, 1)
	wantCode(t, err, orchestrator.ENOTFOUND)
	_, err = a.Record(ctx, unknown)
	wantCode(t, err, orchestrator.ENOTFOUND)
	_, err = a.Record(ctx, id) // snapshots but no record
	wantCode(t, err, orchestrator.ENOTFOUND)
	wantCode(t, a.Export(ctx, unknown, io.Discard), orchestrator.ENOTFOUND)
	if got := list(t, a, unknown); got != "" {
		t.Fatalf("Snapshots of an unknown game = %s", got)
	}
	if err := a.Delete(ctx, unknown); err != nil {
		t.Fatalf("Delete of an unknown game: %v", err)
	}
}

func (s *suite) concurrent(t *testing.T) {
	ctx := context.Background()
	a, _ := s.open(t)
	const nGames, nTurns = 8, 6
	ids := make([]uuid.UUID, nGames)
	for i := range ids {
		ids[i] = uuid.New()
	}
	var wg sync.WaitGroup
	errs := make(chan error, nGames*(nTurns+1)+40)
	for _, id := range ids {
		wg.Go(func() {
			for turn := range nTurns {
				doc := Doc(id, turn, 3000)
				if _, err := a.PutSnapshot(ctx, id, 0, turn, doc, SHA256(doc)); err != nil {
					errs <- err
				}
			}
			if err := a.PutRecord(ctx, id, []byte(`{"id":"`+id.String()+`"}`)); err != nil {
				errs <- err
			}
		})
	}
	// The same snapshot put twice at once: both succeed, one object.
	// Two documents for one turn at once: exactly one wins, the other is ECONFLICT.
	racer := uuid.New()
	var conflicts, wins [10]int
	var mu sync.Mutex
	for turn := range 10 {
		same := Doc(racer, turn, 500)
		for w := range 4 {
			wg.Go(func() {
				if w < 2 {
					if _, err := a.PutSnapshot(ctx, racer, 0, turn, same, SHA256(same)); err != nil {
						errs <- err
					}
					return
				}
				doc := Doc(racer, turn+100*w, 500)
				_, err := a.PutSnapshot(ctx, racer, 1, turn, doc, SHA256(doc))
				mu.Lock()
				defer mu.Unlock()
				switch orchestrator.ErrorCode(err) {
				case "":
					wins[turn]++
				case orchestrator.ECONFLICT:
					conflicts[turn]++
				default:
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for turn := range 10 {
		if wins[turn] != 1 || conflicts[turn] != 1 {
			t.Errorf("turn %d: %d of two different documents stored, %d refused; want 1 and 1", turn, wins[turn], conflicts[turn])
		}
	}
	for _, id := range ids {
		infos, err := a.Snapshots(ctx, id)
		if err != nil || len(infos) != nTurns {
			t.Fatalf("game %s: %d snapshots (%v), want %d", id, len(infos), err, nTurns)
		}
		for _, info := range infos {
			doc, _, err := a.Snapshot(ctx, id, info.Line, info.Turn)
			if err != nil || !bytes.Equal(doc, Doc(id, info.Turn, 3000)) {
				t.Fatalf("game %s turn %d does not read back (%v)", id, info.Turn, err)
			}
		}
		if rec, err := a.Record(ctx, id); err != nil || string(rec) != `{"id":"`+id.String()+`"}` {
			t.Fatalf("game %s record = %q, %v", id, rec, err)
		}
	}
	if got := list(t, a, racer); strings.Count(got, " ")+1 != 20 {
		t.Fatalf("the racing game has %s, want 10 turns on each of 2 lines", got)
	}
}
