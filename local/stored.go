package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/google/uuid"
)

// StoredGames lists the games whose engine state lies under dataDir (a state
// directory <dataDir>/games/<uuid> holding a state.json), in ID order, without
// touching anything: galaxyd asks it before it opens its store, to refuse starting an
// empty store over games that exist. A missing games directory holds none.
func StoredGames(dataDir string) ([]uuid.UUID, error) {
	entries, err := os.ReadDir(filepath.Join(dataDir, gamesDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	for _, e := range entries {
		id, err := uuid.Parse(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dataDir, gamesDir, e.Name(), "state.json")); err == nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	return ids, nil
}
