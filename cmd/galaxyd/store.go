package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/galaxy-orchestrator/galaxy/archive"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

// privateDataDir creates the data directory (0700) or checks an existing one before
// anything is written into it: a world-writable directory would let anyone replace the
// store or an engine's state.
func privateDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("data dir %s is world-writable (mode %04o); chmod 0700 it", dir, fi.Mode().Perm())
	}
	return nil
}

// checkStoreFile verifies the store file before it is opened and reports whether it
// is new (missing or empty). A corrupt file is refused with what to do next.
func checkStoreFile(ctx context.Context, path string) (fresh bool, err error) {
	if err := store.Verify(ctx, path); err != nil {
		return false, fmt.Errorf("%w\ngalaxyd will not start on a damaged store: restore a backup of it (README: Backups) to %s, or move it aside and restore from state (README: Backups)", err, path)
	}
	fi, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == 0, nil
}

// refuseEmptyStore is the error for a store that is new while games exist: starting
// would serve no games and let the reconciler treat theirs as orphans.
func refuseEmptyStore(path, where string, ids []uuid.UUID) error {
	return fmt.Errorf("the store %s is missing or empty, but %s holds %d games (the first: %s): galaxyd will not start an empty store over them.\n"+
		"Restore the store from a backup (README: Backups), or rebuild it from the archive and the engines' state with galaxyd -recover-from-state", path, where, len(ids), ids[0])
}

// refuseEmptyOverCluster refuses a store without games while the Nomad cluster runs
// jobs of this stack: the Nomad side of refuseEmptyStore, asked once the driver can
// list them.
func (m *Main) refuseEmptyOverCluster(ctx context.Context, path string) error {
	var empty bool
	if err := m.Store.View(ctx, func(tx orchestrator.Tx) error {
		games, err := tx.Games(uuid.Nil, 1)
		empty = len(games) == 0
		return err
	}); err != nil || !empty {
		return err
	}
	insts, err := m.Driver.Instances(ctx)
	if err != nil {
		m.Logger.Warn("cannot list the cluster's game jobs to check the store against them", "error", err)
		return nil
	}
	if len(insts) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(insts))
	for i, in := range insts {
		ids[i] = in.GameID
	}
	return refuseEmptyStore(path, "the Nomad cluster", ids)
}

// recoverFromArchive rebuilds the store's game records from the archive before the
// service opens, so that the boot brings every running game's engine back.
func (m *Main) recoverFromArchive(ctx context.Context, arch *archive.Archive) error {
	if arch == nil {
		return fmt.Errorf("-recover-from-state needs the archive (archive.url is off): it holds the games' records")
	}
	ids, err := orchestrator.RecoverFromArchive(ctx, m.Store, arch, m.Clock)
	for _, id := range ids {
		m.Logger.Info("game recovered from the archive", "game_id", id)
	}
	m.Logger.Warn("store rebuilt from the archive", "games", len(ids))
	if err != nil {
		return fmt.Errorf("recover from the archive: %w", err)
	}
	return nil
}
