package archive

import (
	"context"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// Prune implements orchestrator.Archive. A snapshot's age is now minus its CreatedAt;
// zero KeepEvery keeps no older snapshot but the latest of each line. It returns how
// many snapshots it deleted, also when it stops at a failure. Errors: EINVALID for a
// zero game ID or a negative KeepAll or KeepEvery; EINTERNAL and EUNAVAILABLE as for
// Snapshots.
func (a *Archive) Prune(ctx context.Context, gameID uuid.UUID, r orchestrator.Retention, now time.Time) (int, error) {
	if err := checkGame(gameID); err != nil {
		return 0, err
	}
	switch {
	case r.KeepAll < 0:
		return 0, orchestrator.FieldErrorf("keepAll", "keepAll must not be negative")
	case r.KeepEvery < 0:
		return 0, orchestrator.FieldErrorf("keepEvery", "keepEvery must not be negative")
	case r.KeepAll == 0:
		return 0, nil // keeps everything
	}
	infos, err := a.Snapshots(ctx, gameID)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, info := range pruned(infos, r, now) {
		if err := a.deleteAll(ctx, []string{snapshotKey(gameID, info.Line, info.Turn)}); err != nil {
			return deleted, err
		}
		deleted++
	}
	return deleted, nil
}

// pruned returns the snapshots of infos (sorted by line, then turn, as Snapshots lists
// them) that r does not keep as of now.
func pruned(infos []*orchestrator.SnapshotInfo, r orchestrator.Retention, now time.Time) []*orchestrator.SnapshotInfo {
	var out []*orchestrator.SnapshotInfo
	for i, info := range infos {
		switch {
		case i == len(infos)-1 || infos[i+1].Line != info.Line: // the latest of its line
		case now.Sub(info.CreatedAt) < r.KeepAll:
		case r.KeepEvery > 0 && info.Turn%r.KeepEvery == 0:
		default:
			out = append(out, info)
		}
	}
	return out
}
