package archive

import (
	"encoding/json"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// ExportFormat is the version of the export file's layout (the manifest's "format").
// Import refuses other versions rather than misreading them.
const ExportFormat = 1

// Names of an export file's entries besides the snapshots (see the package doc).
const (
	manifestName = "manifest.json"
	// maxManifestBytes bounds the manifest: room for some 200,000 snapshots.
	maxManifestBytes = 64 << 20
)

// manifest is the first entry of an export file: what the rest holds, to be checked
// entry by entry.
type manifest struct {
	Format    int                          `json:"format"`
	GameID    uuid.UUID                    `json:"gameId"`
	Record    entryInfo                    `json:"record"`
	Snapshots []*orchestrator.SnapshotInfo `json:"snapshots"`
}

// entryInfo is the size and hex SHA-256 of an entry's content.
type entryInfo struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// readManifest decodes and checks a manifest against the limits of a: the format, a
// non-zero game ID, and every snapshot of that game, in range, once. It returns the
// snapshots by their entry name.
func (a *Archive) readManifest(data []byte) (*manifest, map[string]*orchestrator.SnapshotInfo, error) {
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, nil, invalidExport("the manifest is not valid JSON: %v", err)
	}
	switch {
	case m.Format != ExportFormat:
		return nil, nil, invalidExport("format %d, this archive reads format %d", m.Format, ExportFormat)
	case m.GameID == uuid.Nil:
		return nil, nil, invalidExport("the manifest names no game")
	case m.Record.Size <= 0 || m.Record.Size > MaxRecordBytes || !isHexSHA256(m.Record.SHA256):
		return nil, nil, invalidExport("the manifest's record is not a size of at most %d bytes and a SHA-256", MaxRecordBytes)
	}
	byName := make(map[string]*orchestrator.SnapshotInfo, len(m.Snapshots))
	for i, s := range m.Snapshots {
		switch {
		case s == nil:
			return nil, nil, invalidExport("manifest snapshot %d is null", i)
		case s.GameID != m.GameID:
			return nil, nil, invalidExport("manifest snapshot %d is of game %s, not %s", i, s.GameID, m.GameID)
		case checkSnapshot(s.GameID, s.Line, s.Turn) != nil:
			return nil, nil, invalidExport("manifest snapshot %d: %v", i, checkSnapshot(s.GameID, s.Line, s.Turn))
		case !isHexSHA256(s.SHA256):
			return nil, nil, invalidExport("manifest snapshot %d has no valid sha256", i)
		case s.Size <= 0 || s.Size > a.maxSnapshot || s.StoredSize <= 0 || s.StoredSize > a.maxSnapshot:
			return nil, nil, invalidExport("manifest snapshot %d: sizes must be between 1 and %d bytes", i, a.maxSnapshot)
		}
		name := snapshotName(s.Line, s.Turn)
		if byName[name] != nil {
			return nil, nil, invalidExport("the manifest lists line %d turn %d twice", s.Line, s.Turn)
		}
		byName[name] = s
	}
	return &m, byName, nil
}

// invalidExport is the EINVALID of an export file Import refuses.
func invalidExport(format string, args ...any) error {
	return orchestrator.FieldErrorf("export", "not a valid export file: %s", fmt.Sprintf(format, args...))
}
