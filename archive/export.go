package archive

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
)

// Export implements orchestrator.Archive: it writes the game's manifest, record and
// every snapshot object as stored, each checked against its metadata first, as one tar
// stream (see the package doc). A game needs its record to be exported. Errors:
// EINVALID for a zero game ID; ENOTFOUND when the archive has no record of the game;
// EINTERNAL naming the key of a damaged object; EUNAVAILABLE when the backend fails;
// w's own errors, wrapped. On an error w holds a partial stream.
func (a *Archive) Export(ctx context.Context, gameID uuid.UUID, w io.Writer) error {
	record, err := a.Record(ctx, gameID)
	if err != nil {
		return err
	}
	infos, err := a.Snapshots(ctx, gameID)
	if err != nil {
		return err
	}
	m := manifest{
		Format: ExportFormat, GameID: gameID,
		Record:    entryInfo{Size: int64(len(record)), SHA256: hexSHA256(record)},
		Snapshots: infos,
	}
	mdoc, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("archive: export: encode the manifest: %w", err)
	}
	now := a.clock.Now()
	tw := tar.NewWriter(w)
	if err := writeEntry(tw, manifestName, mdoc, now); err != nil {
		return err
	}
	if err := writeEntry(tw, recordName, record, now); err != nil {
		return err
	}
	for _, info := range infos {
		key := snapshotKey(gameID, info.Line, info.Turn)
		stored, err := a.read(ctx, key, a.maxSnapshot)
		if err != nil {
			// Gone since the listing (a concurrent Prune) is a failure too: the manifest
			// is written and names it.
			return a.backendError("read", key, err)
		}
		if _, err := a.check(key, info, stored); err != nil {
			return err
		}
		if err := writeEntry(tw, snapshotName(info.Line, info.Turn), stored, info.CreatedAt); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("archive: export: %w", err)
	}
	return nil
}

// writeEntry writes one regular file, mode 0600, to tw; a time before 1970 (which
// ustar cannot hold) is written as 1970.
func writeEntry(tw *tar.Writer, name string, data []byte, mtime time.Time) error {
	if mtime.Before(time.Unix(0, 0)) {
		mtime = time.Unix(0, 0)
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg, Name: name, Mode: fileMode, Size: int64(len(data)),
		ModTime: mtime.UTC().Truncate(time.Second), Format: tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("archive: export %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("archive: export %s: %w", name, err)
	}
	return nil
}
