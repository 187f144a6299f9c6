// Package server is the reference engine's HTTP side: the handler of every route in
// engine/openapi.yaml, and the persistence of the game in state.json. The rules live
// in engine/game; this package only decodes, locks, calls them and saves.
package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine/game"
)

// StateFile is the name of the game's state in the state directory.
const StateFile = "state.json"

// turnsDir is the subdirectory holding the state of every generated turn
// (turns/N.json), from which reports of past turns are rebuilt.
const turnsDir = "turns"

// ErrNoState is returned by Store.Load when the directory holds no state.json yet.
var ErrNoState = errors.New("no state.json")

// Store keeps one game in a directory: state.json, always replaced atomically, and the
// turn history turns/N.json. It does no locking: the Server serialises its calls.
type Store struct {
	dir string
}

// NewStore returns a Store over dir, which must be writable (checked by creating and
// removing a file, so a read-only volume is reported at start, not at the first turn).
// A missing dir is created (mode 0700) when its parent exists: with one shared volume
// for all games, GAME_STATE_PATH is <mount>/<gameId> and nobody else can create it. A
// missing parent is a missing mount and fails. Leftover temporary files of an interrupted write are removed; state.json
// itself is never touched here.
func NewStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("state directory is empty")
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
		fi, err = os.Stat(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("state directory %s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".probe-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("state directory %s is not writable: %w", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	s := &Store{dir: dir}
	for _, d := range []string{dir, filepath.Join(dir, turnsDir)} {
		if tmps, err := filepath.Glob(filepath.Join(d, ".*.tmp")); err == nil {
			for _, t := range tmps {
				os.Remove(t)
			}
		}
	}
	return s, nil
}

// Path returns the path of state.json.
func (s *Store) Path() string { return filepath.Join(s.dir, StateFile) }

// Exists reports whether state.json exists (readable or not).
func (s *Store) Exists() bool {
	_, err := os.Lstat(s.Path())
	return err == nil || !errors.Is(err, os.ErrNotExist)
}

// Load reads state.json. It returns ErrNoState when there is none, and a descriptive
// error when it cannot be read, is not valid JSON or breaks the game's invariants —
// the caller must then refuse to start and leave the file alone for an operator.
func (s *Store) Load() (*game.Game, []byte, error) {
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNoState
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", s.Path(), err)
	}
	g, err := decodeGame(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s is corrupt: %w", s.Path(), err)
	}
	return g, data, nil
}

// Save replaces state.json with data atomically and durably: a temporary file in the
// same directory, fsync, rename over state.json, fsync of the directory. A crash at
// any point leaves either the old or the new state, never a mix.
func (s *Store) Save(data []byte) error {
	return writeAtomic(s.dir, StateFile, data)
}

// SaveTurn records the current state.json as the state of turn, for reports of past
// turns: a hard link (no copy) when the filesystem allows, else a copy.
func (s *Store) SaveTurn(turn int, data []byte) error {
	dir := filepath.Join(s.dir, turnsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	name := turnName(turn)
	dst := filepath.Join(dir, name)
	os.Remove(dst) // left by an earlier run of the same turn, or by a timeline rolled back
	if err := os.Link(s.Path(), dst); err == nil {
		return syncDir(dir)
	}
	return writeAtomic(dir, name, data)
}

// HasTurn reports whether turn has a recorded state.
func (s *Store) HasTurn(turn int) bool {
	_, err := os.Stat(filepath.Join(s.dir, turnsDir, turnName(turn)))
	return err == nil
}

// LoadTurn reads the recorded state of turn; an error wrapping os.ErrNotExist when
// there is none.
func (s *Store) LoadTurn(turn int) (*game.Game, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, turnsDir, turnName(turn)))
	if err != nil {
		return nil, err
	}
	return decodeGame(data)
}

// PruneTurns removes the recorded states of every turn after turn: after a rollback
// they describe turns that no longer happened, and a later turn of the same number must
// never be reported from them. It returns the first error but tries every file.
func (s *Store) PruneTurns(turn int) error {
	dir := filepath.Join(s.dir, turnsDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var first error
	removed := false
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".json"))
		if err != nil || !strings.HasSuffix(e.Name(), ".json") || n <= turn {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && first == nil {
			first = err
		}
		removed = true
	}
	if removed {
		if err := syncDir(dir); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func turnName(turn int) string { return strconv.Itoa(turn) + ".json" }

// decodeGame parses, migrates and checks a state (see game.Decode).
func decodeGame(data []byte) (*game.Game, error) { return game.Decode(data) }

// writeAtomic writes data to dir/name through a temporary file, fsync and rename, then
// fsyncs dir so that the rename itself survives a power loss.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, "."+strings.TrimSuffix(name, ".json")+"-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory, making renames and links in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
