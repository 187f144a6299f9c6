package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/google/uuid"
)

// gamesDir is the directory under Config.DataDir that holds one state directory per game.
const gamesDir = "games"

// stateDir returns the state directory of game id: <DataDir>/games/<uuid>. The engine
// gets it as GAME_STATE_PATH and its working directory; it also holds engine.log and
// engine.pid.
func (d *Driver) stateDir(id uuid.UUID) string {
	return filepath.Join(d.config.DataDir, gamesDir, id.String())
}

// privateDir makes sure path is a directory of ours with mode 0700, creating it if
// needed. A directory with wider permissions is narrowed (repaired is true) rather
// than refused: state.json and engine.log are the game's secrets, and an operator who
// ran `chmod 777` once should not lose the service. A symlink, a non-directory or a
// directory owned by another user is refused: someone else could swap its contents.
func privateDir(path string) (repaired bool, err error) {
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%s is not a directory", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return false, fmt.Errorf("%s is owned by uid %d, not by this process (uid %d)", path, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(path, 0o700); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}
