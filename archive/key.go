package archive

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// MaxLine and MaxTurn are the largest line and turn a snapshot may have: what the
// fixed-width names of the layout hold, so that keys sort as their numbers do. Larger
// ones are EINVALID.
const (
	MaxLine = 9999
	MaxTurn = 99999999
)

// The key layout (see the package doc).
const (
	gamesPrefix     = "games/"
	recordName      = "record.json"
	snapshotsDir    = "snapshots/"
	snapshotSuffix  = ".json.zst"
	snapshotNameLen = 4 + 1 + 8 + len(snapshotSuffix)
)

// gamePrefix is the prefix of every key of a game.
func gamePrefix(id uuid.UUID) string { return gamesPrefix + id.String() + "/" }

// recordKey is the key of a game's record.
func recordKey(id uuid.UUID) string { return gamePrefix(id) + recordName }

// snapshotsPrefix is the prefix of a game's snapshot keys.
func snapshotsPrefix(id uuid.UUID) string { return gamePrefix(id) + snapshotsDir }

// snapshotName is a snapshot's name within its game: snapshots/LLLL-TTTTTTTT.json.zst,
// also its name inside an export file.
func snapshotName(line, turn int) string {
	return fmt.Sprintf("%s%04d-%08d%s", snapshotsDir, line, turn, snapshotSuffix)
}

// snapshotKey is the key of a snapshot.
func snapshotKey(id uuid.UUID, line, turn int) string {
	return gamePrefix(id) + snapshotName(line, turn)
}

// parseSnapshotName reads line and turn from a name snapshotName made, exactly (other
// names, such as a backend's temporary files, are not snapshots).
func parseSnapshotName(name string) (line, turn int, ok bool) {
	base, found := strings.CutPrefix(name, snapshotsDir)
	if !found || len(base) != snapshotNameLen || !strings.HasSuffix(base, snapshotSuffix) || base[4] != '-' {
		return 0, 0, false
	}
	line, ok1 := digits(base[:4])
	turn, ok2 := digits(base[5:13])
	return line, turn, ok1 && ok2
}

// digits reads s, made of ASCII digits only.
func digits(s string) (int, bool) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// parseGameDir reads the game ID from a listed "directory" games/<uuid>/, in canonical
// form only.
func parseGameDir(key string) (uuid.UUID, bool) {
	s, found := strings.CutPrefix(key, gamesPrefix)
	if !found {
		return uuid.Nil, false
	}
	s, found = strings.CutSuffix(s, "/")
	if !found {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil || id.String() != s {
		return uuid.Nil, false
	}
	return id, true
}

// checkGame refuses the zero game ID.
func checkGame(id uuid.UUID) error {
	if id == uuid.Nil {
		return orchestrator.FieldErrorf("gameId", "gameId must be a non-zero UUID")
	}
	return nil
}

// checkSnapshot refuses the zero game ID and a line or turn outside the layout's range.
func checkSnapshot(id uuid.UUID, line, turn int) error {
	if err := checkGame(id); err != nil {
		return err
	}
	if line < 0 || line > MaxLine {
		return orchestrator.FieldErrorf("line", "line must be between 0 and %d, not %d", MaxLine, line)
	}
	if turn < 0 || turn > MaxTurn {
		return orchestrator.FieldErrorf("turn", "turn must be between 0 and %d, not %d", MaxTurn, turn)
	}
	return nil
}
