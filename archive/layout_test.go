package archive

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/archive/archivetest"
	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob"
)

// bothBackends runs fn on a file archive and on an S3 archive.
func bothBackends(t *testing.T, fn func(t *testing.T, a *Archive)) {
	t.Run("file", func(t *testing.T) { fn(t, openFile(t)) })
	t.Run("s3", func(t *testing.T) { fn(t, newFakeS3(t).open(t)) })
}

// allKeys lists every key of a's bucket.
func allKeys(t *testing.T, a *Archive) []string {
	t.Helper()
	keys, err := a.list(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestLayout holds the keys, the metadata and the compressed form the package doc
// promises.
func TestLayout(t *testing.T) {
	bothBackends(t, func(t *testing.T, a *Archive) {
		ctx := context.Background()
		clock := clocktest.NewFakeClock(archivetest.T0)
		a.clock = clock
		id := uuid.MustParse("0190a3c5-1d2e-7f00-8a9b-0123456789ab")
		doc := archivetest.Doc(id, 12, 10_000)
		if _, err := a.PutSnapshot(ctx, id, 3, 12, doc, ""); err != nil {
			t.Fatal(err)
		}
		if err := a.PutRecord(ctx, id, []byte(`{"name":"x"}`)); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"games/0190a3c5-1d2e-7f00-8a9b-0123456789ab/record.json",
			"games/0190a3c5-1d2e-7f00-8a9b-0123456789ab/snapshots/0003-00000012.json.zst",
		}
		if got := allKeys(t, a); !slices.Equal(got, want) {
			t.Fatalf("keys %q, want %q", got, want)
		}
		attrs, err := a.bucket.Attributes(ctx, want[1])
		if err != nil {
			t.Fatal(err)
		}
		if attrs.Metadata["sha256"] != archivetest.SHA256(doc) || attrs.Metadata["size"] != strconv.Itoa(len(doc)) {
			t.Fatalf("metadata %v, want sha256 %s and size %d", attrs.Metadata, archivetest.SHA256(doc), len(doc))
		}
		if got := attrs.Metadata["created"]; got != "2030-01-02T03:04:05.000006Z" {
			t.Fatalf("created %q, want the clock's time", got)
		}
		// Any zstd reader inflates the object: one standard frame.
		stored, err := a.bucket.ReadAll(ctx, want[1])
		if err != nil {
			t.Fatal(err)
		}
		dec, err := zstd.NewReader(bytes.NewReader(stored))
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		var got bytes.Buffer
		if _, err := got.ReadFrom(dec); err != nil || !bytes.Equal(got.Bytes(), doc) {
			t.Fatalf("the stored object does not inflate to the document (%v)", err)
		}
		// A corrupted object's error names its key.
		corruptSnapshot(t, a, id, 3, 12)
		_, _, err = a.Snapshot(ctx, id, 3, 12)
		if orchestrator.ErrorCode(err) != orchestrator.EINTERNAL || !strings.Contains(err.Error(), want[1]) {
			t.Fatalf("Snapshot of a corrupted object: %v; want EINTERNAL naming %s", err, want[1])
		}
	})
}

// TestFileModes holds the file backend to mode 0700 directories and 0600 files, the
// metadata files included.
func TestFileModes(t *testing.T) {
	a := openFile(t)
	ctx := context.Background()
	id := uuid.New()
	doc := archivetest.Doc(id, 1, 100)
	if _, err := a.PutSnapshot(ctx, id, 0, 1, doc, ""); err != nil {
		t.Fatal(err)
	}
	if err := a.PutRecord(ctx, id, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := a.PutRecord(ctx, id, []byte(`{"again":true}`)); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := filepath.WalkDir(a.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 8 { // the root, games, the game, snapshots; two objects, two metadata files
		t.Fatalf("%d files and directories, want 8", n)
	}
	// Delete leaves no empty directories behind.
	if err := a.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a.dir, "games", id.String())); !os.IsNotExist(err) {
		t.Fatalf("the game's directory is still there after Delete (%v)", err)
	}
}

// TestSizeLimits: a document over the limit is refused, and an object that would
// inflate past the limit, or past the size its metadata declares, is damaged, not read.
func TestSizeLimits(t *testing.T) {
	bothBackends(t, func(t *testing.T, a *Archive) {
		ctx := context.Background()
		const limit = 1 << 20
		a.maxSnapshot = limit
		c, err := newCodec(a.level, limit)
		if err != nil {
			t.Fatal(err)
		}
		a.codec.close()
		a.codec = c
		id := uuid.New()
		_, err = a.PutSnapshot(ctx, id, 0, 1, make([]byte, limit+1), "")
		if orchestrator.ErrorCode(err) != orchestrator.EINVALID {
			t.Fatalf("a document over the limit: %v, want EINVALID", err)
		}
		// zstd bombs: many zeros in a few KiB, over the limit or over the declared size.
		enc, _ := zstd.NewWriter(nil)
		defer enc.Close()
		for turn, c := range map[int]struct{ zeros, declared int }{
			2: {64 << 20, 64 << 20}, // declares its size, over the limit
			3: {64 << 20, 100},      // lies about its size, inflates past the limit
			4: {limit / 2, 100},     // lies about its size, inflates within the limit
		} {
			key := snapshotKey(id, 0, turn)
			bomb := enc.EncodeAll(make([]byte, c.zeros), nil)
			meta := map[string]string{metaSHA256: strings.Repeat("0", 64), metaSize: strconv.Itoa(c.declared), metaCreated: time.Now().UTC().Format(time.RFC3339Nano)}
			if err := a.bucket.WriteAll(ctx, key, bomb, &blob.WriterOptions{Metadata: meta}); err != nil {
				t.Fatal(err)
			}
			_, _, err := a.Snapshot(ctx, id, 0, turn)
			if orchestrator.ErrorCode(err) != orchestrator.EINTERNAL || !strings.Contains(err.Error(), key) {
				t.Fatalf("%d zeros declaring %d bytes: %v; want EINTERNAL naming %s", c.zeros, c.declared, err, key)
			}
		}
	})
}

// TestCancelled: a cancelled context is EUNAVAILABLE, and errors.Is finds the cause.
func TestCancelled(t *testing.T) {
	bothBackends(t, func(t *testing.T, a *Archive) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		id := uuid.New()
		doc := archivetest.Doc(id, 1, 100)
		_, err := a.PutSnapshot(ctx, id, 0, 1, doc, "")
		if orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
			t.Fatalf("PutSnapshot with a cancelled context: %v (code %s), want EUNAVAILABLE and context.Canceled", err, orchestrator.ErrorCode(err))
		}
		if keys := allKeys(t, a); len(keys) != 0 {
			t.Fatalf("a cancelled put left %q", keys)
		}
	})
}

// TestConditionalWrite: a snapshot object is written only where there is none, in one
// step of the backend (If-None-Match on S3), so that two writers cannot both win.
func TestConditionalWrite(t *testing.T) {
	bothBackends(t, func(t *testing.T, a *Archive) {
		ctx := context.Background()
		id := uuid.New()
		key := snapshotKey(id, 0, 1)
		if err := a.bucket.WriteAll(ctx, key, []byte("there first"), nil); err != nil {
			t.Fatal(err)
		}
		info := &orchestrator.SnapshotInfo{GameID: id, Line: 0, Turn: 1, SHA256: strings.Repeat("0", 64), Size: 1, CreatedAt: time.Now()}
		err := a.writeSnapshot(ctx, info, []byte("second"), false)
		if !isExists(err) {
			t.Fatalf("a conditional write over an object: %v, want the backend's precondition failure", err)
		}
		if got, _ := a.bucket.ReadAll(ctx, key); string(got) != "there first" {
			t.Fatalf("the object was replaced: %q", got)
		}
	})
}
