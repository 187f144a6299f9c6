package archive

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gocloud.dev/blob"
)

// Games implements orchestrator.Archive: the games with at least one object, in the
// order of their IDs' text. Directories that are not a canonical game ID are ignored.
// Errors: EUNAVAILABLE when the backend fails.
func (a *Archive) Games(ctx context.Context) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	it := a.bucket.List(&blob.ListOptions{Prefix: gamesPrefix, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF { //nolint:errorlint // io.EOF is returned unwrapped
			break
		} else if err != nil {
			return nil, a.backendError("list", gamesPrefix, err)
		}
		if id, ok := parseGameDir(obj.Key); ok && obj.IsDir {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) })
	return ids, nil
}

// holds reports whether the archive has any object of the game.
func (a *Archive) holds(ctx context.Context, gameID uuid.UUID) (bool, error) {
	objs, _, err := a.bucket.ListPage(ctx, blob.FirstPageToken, 1, &blob.ListOptions{Prefix: gamePrefix(gameID)})
	if err != nil {
		return false, a.backendError("list", gamePrefix(gameID), err)
	}
	return len(objs) > 0, nil
}

// Delete implements orchestrator.Archive: it deletes every object under the game's
// prefix (on the file backend, then its empty directories). Deleting a game the
// archive does not hold does nothing. Errors: EINVALID for a zero game ID,
// EUNAVAILABLE when the backend fails (what was deleted stays deleted; call again).
func (a *Archive) Delete(ctx context.Context, gameID uuid.UUID) error {
	if err := checkGame(gameID); err != nil {
		return err
	}
	prefix := gamePrefix(gameID)
	keys, err := a.list(ctx, prefix)
	if err != nil {
		return a.backendError("list", prefix, err)
	}
	if err := a.deleteAll(ctx, keys); err != nil {
		return err
	}
	if a.dir != "" {
		// Best effort: fails harmlessly on a directory someone is writing to again.
		_ = os.Remove(a.path(snapshotsPrefix(gameID)))
		_ = os.Remove(filepath.Dir(a.path(recordKey(gameID))))
	}
	return nil
}

// deleteAll deletes keys; an object already gone is no failure.
func (a *Archive) deleteAll(ctx context.Context, keys []string) error {
	for _, key := range keys {
		if err := a.bucket.Delete(ctx, key); err != nil && !isNotFound(err) {
			return a.backendError("delete", key, err)
		}
	}
	return nil
}
