package orchestrator

import (
	"context"
	"io"
	"time"

	"github.com/google/uuid"
)

// A game's engine node is a cache, not its home (DESIGN §10): after every generated
// turn, and on stop, galaxyd takes the engine's snapshot and writes it to the archive,
// which lives off the node (a directory under the data dir by default; S3, GCS or
// Azure Blob in production). The archive also keeps each game's record, so a game can
// be exported, imported into another galaxyd, or rebuilt after its store was lost.

// SnapshotInfo describes one archived snapshot. Snapshots are immutable: a turn
// generated again after a rollback is stored in a new Line, never over the old one, so
// a rollback can itself be undone.
type SnapshotInfo struct {
	GameID uuid.UUID `json:"gameId"`
	// Line is the history line: 0 until the first rollback, then one more per rollback.
	Line int `json:"line"`
	Turn int `json:"turn"`
	// SHA256 is the hex SHA-256 of the uncompressed snapshot document (the engine's ETag).
	SHA256 string `json:"sha256"`
	// Size is the document's size in bytes; StoredSize what the archive holds (compressed).
	Size       int64     `json:"size"`
	StoredSize int64     `json:"storedSize"`
	CreatedAt  time.Time `json:"createdAt"`
}

// Retention says which snapshots Prune keeps: every snapshot younger than KeepAll,
// and of older ones every KeepEvery-th turn (turn % KeepEvery == 0); the latest
// snapshot of each line is always kept. Zero KeepAll keeps everything.
type Retention struct {
	KeepAll   time.Duration
	KeepEvery int
}

// Archive stores games' snapshots and records off the engine's node. Implementations
// are safe for concurrent use; every method may be called for different games at once.
// Errors: ENOTFOUND for what is not there, EINVALID for bad arguments, EUNAVAILABLE when
// the backend cannot be reached (an archive that is down never stops turns: callers
// retry later).
type Archive interface {
	// PutSnapshot stores doc (the engine's snapshot document, uncompressed) as the
	// snapshot of turn on line, verifying that sha256 (the engine's ETag, hex, without
	// quotes; "" to skip) matches. Storing the same snapshot again is a no-op;
	// a different document for an existing line and turn is ECONFLICT.
	PutSnapshot(ctx context.Context, gameID uuid.UUID, line, turn int, doc []byte, sha256 string) (*SnapshotInfo, error)
	// Snapshot returns the document and info of one snapshot, decompressed and
	// checked against its SHA-256 (a mismatch is EINTERNAL). Errors: ENOTFOUND.
	Snapshot(ctx context.Context, gameID uuid.UUID, line, turn int) ([]byte, *SnapshotInfo, error)
	// Snapshots lists a game's snapshots by line, then turn, ascending.
	Snapshots(ctx context.Context, gameID uuid.UUID) ([]*SnapshotInfo, error)
	// PutRecord stores the game's record (an opaque JSON document the orchestrator
	// writes: the game, its version, its runtime's essentials), replacing the last one.
	PutRecord(ctx context.Context, gameID uuid.UUID, doc []byte) error
	// Record returns the game's record. Errors: ENOTFOUND.
	Record(ctx context.Context, gameID uuid.UUID) ([]byte, error)
	// Games lists the IDs of the games the archive holds anything of.
	Games(ctx context.Context) ([]uuid.UUID, error)
	// Delete removes everything the archive holds of a game. Idempotent.
	Delete(ctx context.Context, gameID uuid.UUID) error
	// Prune deletes the game's snapshots that r does not keep as of now, and returns
	// how many it deleted.
	Prune(ctx context.Context, gameID uuid.UUID, r Retention, now time.Time) (int, error)
	// Export writes one tar file holding the game's record and every snapshot (as
	// stored), for Import into another archive. Errors: ENOTFOUND.
	Export(ctx context.Context, gameID uuid.UUID, w io.Writer) error
	// Import reads a tar file written by Export and stores what it holds; it returns
	// the game's ID and record. A game the archive already holds is ECONFLICT.
	Import(ctx context.Context, r io.Reader) (gameID uuid.UUID, record []byte, err error)
}
