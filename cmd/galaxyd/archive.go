package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/galaxy-orchestrator/galaxy/archive"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// openArchive opens the configured archive (default: a directory under the data dir);
// nil when it is off.
func (m *Main) openArchive(ctx context.Context) (*archive.Archive, error) {
	url := m.Config.Archive.URL
	switch url {
	case "off":
		m.Logger.Warn("the archive is off: a game's state lives only on its engine's node")
		return nil, nil
	case "":
		dir, err := filepath.Abs(filepath.Join(m.Config.DataDir, "archive"))
		if err != nil {
			return nil, err
		}
		url = "file://" + dir
	}
	a, err := archive.Open(ctx, url, archive.WithClock(m.Clock))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	m.Archive = a
	m.Logger.Info("archive open", "archive", a.String())
	return a, nil
}

// archiveOrNil keeps a nil *archive.Archive from becoming a non-nil interface.
func archiveOrNil(a *archive.Archive) orchestrator.Archive {
	if a == nil {
		return nil
	}
	return a
}
