package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"
)

// The blob metadata of a snapshot object (see the package doc).
const (
	metaSHA256          = "sha256"
	metaSize            = "size"
	metaCreated         = "created"
	snapshotContentType = "application/zstd"
)

// PutSnapshot implements orchestrator.Archive. sum may be quoted, as an ETag header
// is. The stored object is doc compressed with zstd; CreatedAt is the clock's time.
// Putting a stored snapshot again reads it back: a damaged copy is replaced by doc.
// Errors: EINVALID for a zero game ID, a line outside [0, MaxLine], a turn outside
// [0, MaxTurn], an empty document or one over the size limit, or a document that does
// not match sum (Field "sha256"); ECONFLICT when another document is stored for line
// and turn; EINTERNAL naming the key when the stored object's metadata is damaged;
// EUNAVAILABLE when the backend fails.
func (a *Archive) PutSnapshot(ctx context.Context, gameID uuid.UUID, line, turn int, doc []byte, sum string) (*orchestrator.SnapshotInfo, error) {
	if err := checkSnapshot(gameID, line, turn); err != nil {
		return nil, err
	}
	switch {
	case len(doc) == 0:
		return nil, orchestrator.FieldErrorf("doc", "the snapshot document is empty")
	case int64(len(doc)) > a.maxSnapshot:
		return nil, orchestrator.FieldErrorf("doc", "the snapshot document is %d bytes, over the archive's limit of %d", len(doc), a.maxSnapshot)
	}
	got := hexSHA256(doc)
	if sum != "" {
		if want := strings.ToLower(strings.Trim(sum, `"`)); want != got {
			return nil, orchestrator.FieldErrorf("sha256", "the document hashes to %s, not %s: it was altered or truncated", got, want)
		}
	}
	key := snapshotKey(gameID, line, turn)
	have, err := a.snapshotInfo(ctx, gameID, line, turn)
	switch {
	case err == nil:
		return a.again(ctx, have, doc)
	case !isNotFound(err):
		return nil, a.backendError("read", key, err)
	}
	stored := a.codec.compress(doc)
	info := &orchestrator.SnapshotInfo{
		GameID: gameID, Line: line, Turn: turn, SHA256: got,
		Size: int64(len(doc)), StoredSize: int64(len(stored)),
		CreatedAt: a.clock.Now().UTC(),
	}
	if err := a.writeSnapshot(ctx, info, stored, false); err != nil {
		if !isExists(err) {
			return nil, a.backendError("write", key, err)
		}
		// Written since the look above, by another writer.
		if have, err = a.snapshotInfo(ctx, gameID, line, turn); err != nil {
			return nil, a.backendError("read", key, err)
		}
		return a.again(ctx, have, doc)
	}
	return info, nil
}

// writeSnapshot stores a snapshot object with its metadata. Unless replace, only if
// there is none yet at its key (otherwise an error for which isExists holds).
func (a *Archive) writeSnapshot(ctx context.Context, info *orchestrator.SnapshotInfo, stored []byte, replace bool) error {
	key := snapshotKey(info.GameID, info.Line, info.Turn)
	if a.dir != "" {
		// fileblob's IfNotExist is a stat before the rename: two writers of this
		// process could both pass it. (The other backends check it in one request.)
		defer a.locks.lock(key)()
	}
	return a.write(ctx, key, stored, &blob.WriterOptions{
		ContentType: snapshotContentType,
		Metadata: map[string]string{
			metaSHA256:  info.SHA256,
			metaSize:    strconv.FormatInt(info.Size, 10),
			metaCreated: info.CreatedAt.UTC().Format(time.RFC3339Nano),
		},
		IfNotExist: !replace,
	})
}

// again is the outcome of putting doc where have is stored: ECONFLICT for another
// document. For the same document it is a no-op returning have, unless the stored
// object is damaged (its content no longer inflates to the document its metadata
// names): then doc, which is that document, is written over it, keeping CreatedAt.
func (a *Archive) again(ctx context.Context, have *orchestrator.SnapshotInfo, doc []byte) (*orchestrator.SnapshotInfo, error) {
	key := snapshotKey(have.GameID, have.Line, have.Turn)
	if sum := hexSHA256(doc); have.SHA256 != sum {
		return nil, orchestrator.Errorf(orchestrator.ECONFLICT,
			"game %s already has another snapshot of line %d turn %d (%s, sha256 %s, not %s): snapshots are immutable; a rollback starts a new line",
			have.GameID, have.Line, have.Turn, key, have.SHA256, sum)
	}
	stored, err := a.read(ctx, key, a.maxSnapshot)
	if err == nil {
		if _, err = a.check(key, have, stored); err == nil {
			return have, nil
		}
	}
	if !isDamaged(err) {
		return nil, a.backendError("read", key, err)
	}
	repaired := *have
	stored = a.codec.compress(doc)
	repaired.StoredSize = int64(len(stored))
	if err := a.writeSnapshot(ctx, &repaired, stored, true); err != nil {
		return nil, a.backendError("repair", key, err)
	}
	return &repaired, nil
}

// Snapshot implements orchestrator.Archive. Errors: EINVALID as for PutSnapshot,
// ENOTFOUND, EINTERNAL naming the key when the object does not inflate to a document
// of its recorded size and SHA-256, EUNAVAILABLE when the backend fails.
func (a *Archive) Snapshot(ctx context.Context, gameID uuid.UUID, line, turn int) ([]byte, *orchestrator.SnapshotInfo, error) {
	if err := checkSnapshot(gameID, line, turn); err != nil {
		return nil, nil, err
	}
	key := snapshotKey(gameID, line, turn)
	info, err := a.snapshotInfo(ctx, gameID, line, turn)
	if err == nil {
		var stored []byte
		if stored, err = a.read(ctx, key, a.maxSnapshot); err == nil {
			doc, err := a.check(key, info, stored)
			return doc, info, err
		}
	}
	if isNotFound(err) {
		return nil, nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "the archive has no snapshot of game %s line %d turn %d", gameID, line, turn)
	}
	return nil, nil, a.backendError("read", key, err)
}

// check inflates the object stored at key and verifies it against info: EINTERNAL
// naming the key when it is not the document info describes.
func (a *Archive) check(key string, info *orchestrator.SnapshotInfo, stored []byte) ([]byte, error) {
	if info.Size > a.maxSnapshot {
		return nil, corrupt(key, "its document is %d bytes, over the limit of %d", info.Size, a.maxSnapshot)
	}
	if int64(len(stored)) != info.StoredSize {
		return nil, corrupt(key, "%d bytes stored, %d recorded", len(stored), info.StoredSize)
	}
	doc, err := a.codec.inflate(stored, info.Size)
	if err != nil {
		return nil, corrupt(key, "cannot inflate: %v", err)
	}
	if sum := hexSHA256(doc); sum != info.SHA256 {
		return nil, corrupt(key, "its document hashes to %s, not %s", sum, info.SHA256)
	}
	return doc, nil
}

// Snapshots implements orchestrator.Archive: it lists the game's snapshot objects and
// reads their metadata, not their content. A game without snapshots has an empty
// list. Errors: EINVALID for a zero game ID, EINTERNAL naming the key of an object
// with damaged metadata, EUNAVAILABLE when the backend fails.
func (a *Archive) Snapshots(ctx context.Context, gameID uuid.UUID) ([]*orchestrator.SnapshotInfo, error) {
	if err := checkGame(gameID); err != nil {
		return nil, err
	}
	prefix := snapshotsPrefix(gameID)
	keys, err := a.list(ctx, prefix)
	if err != nil {
		return nil, a.backendError("list", prefix, err)
	}
	infos := make([]*orchestrator.SnapshotInfo, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.concurrency)
	for i, key := range keys {
		line, turn, ok := parseSnapshotName(strings.TrimPrefix(key, gamePrefix(gameID)))
		if !ok {
			continue // not a snapshot: a backend's temporary file
		}
		g.Go(func() error {
			info, err := a.snapshotInfo(gctx, gameID, line, turn)
			switch {
			case isNotFound(err): // pruned since the listing
			case err != nil:
				return a.backendError("read", key, err)
			default:
				infos[i] = info
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	infos = slices.DeleteFunc(infos, func(i *orchestrator.SnapshotInfo) bool { return i == nil })
	slices.SortFunc(infos, func(x, y *orchestrator.SnapshotInfo) int {
		if x.Line != y.Line {
			return x.Line - y.Line
		}
		return x.Turn - y.Turn
	})
	return infos, nil
}

// snapshotInfo reads a snapshot's info from its object's metadata. A missing object is
// an error for which isNotFound holds; damaged metadata is EINTERNAL naming the key.
func (a *Archive) snapshotInfo(ctx context.Context, gameID uuid.UUID, line, turn int) (*orchestrator.SnapshotInfo, error) {
	key := snapshotKey(gameID, line, turn)
	attrs, err := a.bucket.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	info := &orchestrator.SnapshotInfo{GameID: gameID, Line: line, Turn: turn, StoredSize: attrs.Size, CreatedAt: attrs.ModTime.UTC()}
	info.SHA256 = attrs.Metadata[metaSHA256]
	if !isHexSHA256(info.SHA256) {
		return nil, corrupt(key, "its metadata has no valid sha256 (%q)", info.SHA256)
	}
	size, err := strconv.ParseInt(attrs.Metadata[metaSize], 10, 64)
	if err != nil || size < 0 {
		return nil, corrupt(key, "its metadata has no valid size (%q)", attrs.Metadata[metaSize])
	}
	info.Size = size
	if c := attrs.Metadata[metaCreated]; c != "" {
		t, err := time.Parse(time.RFC3339Nano, c)
		if err != nil {
			return nil, corrupt(key, "its metadata has no valid created time (%q)", c)
		}
		info.CreatedAt = t.UTC()
	}
	return info, nil
}

// list returns the keys under prefix, in the backend's (lexical) order.
func (a *Archive) list(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	it := a.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if err == io.EOF { //nolint:errorlint // io.EOF is returned unwrapped
				return keys, nil
			}
			return nil, err
		}
		if !obj.IsDir {
			keys = append(keys, obj.Key)
		}
	}
}

// hexSHA256 is the hex SHA-256 of b.
func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// isHexSHA256 reports whether s is a SHA-256 in lower-case hex.
func isHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
