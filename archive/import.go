package archive

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// Import implements orchestrator.Archive: it reads an export file entry by entry,
// checks each against the manifest (a snapshot is inflated and its SHA-256 verified
// before it is written; nothing is recompressed) and stores it, keeping the snapshots'
// CreatedAt. The record is written last, once every snapshot is in. On any failure it
// deletes what it wrote, so the archive holds the whole game or nothing of it (barring
// a crash half-way, after which Delete clears the rest).
//
// Errors: EINVALID for a stream that is not a valid export file: not tar, an entry
// that is not a regular file, an absolute or ".." path or any name but the layout's,
// an entry over its limit (MaxRecordBytes, the snapshot limit) or not as the manifest
// says, a duplicate or missing entry; ECONFLICT when the archive already holds
// anything of the game; EUNAVAILABLE when the backend fails.
func (a *Archive) Import(ctx context.Context, r io.Reader) (gameID uuid.UUID, record []byte, err error) {
	tr := tar.NewReader(r)
	hdr, err := nextEntry(tr)
	if err == io.EOF { //nolint:errorlint // io.EOF is returned unwrapped
		return uuid.Nil, nil, invalidExport("it is empty")
	} else if err != nil {
		return uuid.Nil, nil, err
	}
	if hdr.Name != manifestName {
		return uuid.Nil, nil, invalidExport("the first entry is %q, not %s", hdr.Name, manifestName)
	}
	data, err := readEntry(tr, hdr, maxManifestBytes)
	if err != nil {
		return uuid.Nil, nil, err
	}
	m, byName, err := a.readManifest(data)
	if err != nil {
		return uuid.Nil, nil, err
	}
	if held, err := a.holds(ctx, m.GameID); err != nil {
		return uuid.Nil, nil, err
	} else if held {
		return uuid.Nil, nil, orchestrator.Errorf(orchestrator.ECONFLICT, "the archive already holds game %s; delete it there first to import it again", m.GameID)
	}

	im := &importer{a: a, m: m, byName: byName, seen: map[string]bool{}}
	if err := im.run(ctx, tr); err != nil {
		// Not ctx: a cancelled import still removes what it wrote.
		if derr := a.deleteAll(context.WithoutCancel(ctx), im.written); derr != nil {
			return uuid.Nil, nil, errors.Join(err, derr)
		}
		return uuid.Nil, nil, err
	}
	return m.GameID, im.record, nil
}

// importer is one Import under way after its manifest.
type importer struct {
	a       *Archive
	m       *manifest
	byName  map[string]*orchestrator.SnapshotInfo
	seen    map[string]bool
	record  []byte
	written []string // keys written, for the clean-up
}

// run reads the entries after the manifest, writes each snapshot once checked, and
// the record once every entry is in.
func (im *importer) run(ctx context.Context, tr *tar.Reader) error {
	for {
		hdr, err := nextEntry(tr)
		if err == io.EOF { //nolint:errorlint // io.EOF is returned unwrapped
			break
		} else if err != nil {
			return err
		}
		if im.seen[hdr.Name] {
			return invalidExport("entry %q appears twice", hdr.Name)
		}
		im.seen[hdr.Name] = true
		if hdr.Name == recordName {
			if err := im.readRecord(tr, hdr); err != nil {
				return err
			}
			continue
		}
		if err := im.putSnapshot(ctx, tr, hdr); err != nil {
			return err
		}
	}
	if im.record == nil {
		return invalidExport("it has no %s", recordName)
	}
	for name := range im.byName {
		if !im.seen[name] {
			return invalidExport("the manifest lists %s, which the file does not hold", name)
		}
	}
	key := recordKey(im.m.GameID)
	im.written = append(im.written, key)
	return im.a.PutRecord(ctx, im.m.GameID, im.record)
}

// readRecord reads and checks the record entry.
func (im *importer) readRecord(tr *tar.Reader, hdr *tar.Header) error {
	if err := checkSize(hdr, MaxRecordBytes); err != nil {
		return err
	}
	if hdr.Size != im.m.Record.Size {
		return invalidExport("%s is %d bytes, the manifest says %d", recordName, hdr.Size, im.m.Record.Size)
	}
	data, err := readEntry(tr, hdr, MaxRecordBytes)
	if err != nil {
		return err
	}
	if hexSHA256(data) != im.m.Record.SHA256 {
		return invalidExport("%s does not match its SHA-256 in the manifest", recordName)
	}
	if err := checkRecord(im.m.GameID, data); err != nil {
		return invalidExport("%s: %v", recordName, err)
	}
	im.record = data
	return nil
}

// putSnapshot reads a snapshot entry, checks it against the manifest and writes it.
func (im *importer) putSnapshot(ctx context.Context, tr *tar.Reader, hdr *tar.Header) error {
	info := im.byName[hdr.Name]
	if info == nil {
		if _, _, ok := parseSnapshotName(hdr.Name); ok {
			return invalidExport("entry %q is not in the manifest", hdr.Name)
		}
		return invalidExport("entry %q is not part of an export file", hdr.Name)
	}
	if err := checkSize(hdr, im.a.maxSnapshot); err != nil {
		return err
	}
	if hdr.Size != info.StoredSize {
		return invalidExport("%s is %d bytes, the manifest says %d", hdr.Name, hdr.Size, info.StoredSize)
	}
	stored, err := readEntry(tr, hdr, im.a.maxSnapshot)
	if err != nil {
		return err
	}
	if _, err := im.a.check(hdr.Name, info, stored); err != nil {
		return invalidExport("%s does not match the manifest: %s", hdr.Name, orchestrator.ErrorMessage(err))
	}
	put := *info
	if put.CreatedAt.IsZero() {
		put.CreatedAt = im.a.clock.Now().UTC()
	}
	key := snapshotKey(put.GameID, put.Line, put.Turn)
	if err := im.a.writeSnapshot(ctx, &put, stored, false); err != nil {
		if isExists(err) { // another import of the game, under way
			return orchestrator.Errorf(orchestrator.ECONFLICT, "the archive already holds %s: another import of game %s is under way", key, put.GameID)
		}
		return im.a.backendError("write", key, err)
	}
	im.written = append(im.written, key)
	return nil
}

// nextEntry returns the next entry's header once its name and type are safe: a regular
// file with a relative path and no ".." (what else it may be named is checked against
// the manifest).
func nextEntry(tr *tar.Reader) (*tar.Header, error) {
	hdr, err := tr.Next()
	if err == io.EOF { //nolint:errorlint // io.EOF is returned unwrapped
		return nil, io.EOF
	} else if err != nil {
		return nil, invalidExport("not a readable tar stream: %v", err)
	}
	name := hdr.Name
	switch {
	case name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || path.IsAbs(name):
		return nil, invalidExport("entry %q has an absolute or malformed path", name)
	case name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/.."):
		return nil, invalidExport("entry %q leaves its directory (..)", name)
	case path.Clean(name) != name:
		return nil, invalidExport("entry %q has a path that is not clean", name)
	case hdr.Typeflag != tar.TypeReg:
		return nil, invalidExport("entry %q is not a regular file", name)
	case hdr.Size < 0:
		return nil, invalidExport("entry %q has a negative size", name)
	}
	return hdr, nil
}

// checkSize refuses an entry over max bytes.
func checkSize(hdr *tar.Header, max int64) error {
	if hdr.Size > max {
		return invalidExport("entry %q is %d bytes, over the limit of %d", hdr.Name, hdr.Size, max)
	}
	return nil
}

// readEntry reads the content of the entry hdr, refusing one over max bytes before
// reading it.
func readEntry(tr *tar.Reader, hdr *tar.Header, max int64) ([]byte, error) {
	if err := checkSize(hdr, max); err != nil {
		return nil, err
	}
	data := make([]byte, hdr.Size)
	if _, err := io.ReadFull(tr, data); err != nil {
		return nil, invalidExport("entry %q is truncated: %v", hdr.Name, err)
	}
	return data, nil
}
