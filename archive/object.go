package archive

import (
	"context"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"sync"

	"gocloud.dev/blob"
)

// fileMode is the mode of every file the file backend writes.
const fileMode = 0o600

// write stores data at key in one object, atomically: the backend commits on Close,
// whose error is the write's. On the file backend the object and its metadata file
// are made mode fileMode (fileblob would leave them to the umask) and fsync'd.
func (a *Archive) write(ctx context.Context, key string, data []byte, opts *blob.WriterOptions) error {
	newDir := false
	if a.dir != "" {
		_, err := os.Stat(filepath.Dir(a.path(key)))
		newDir = err != nil
		opts.BeforeWrite = func(as func(any) bool) error {
			var f *os.File
			if as(&f) {
				return f.Chmod(fileMode)
			}
			return nil
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := a.bucket.NewWriter(wctx, key, opts)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		cancel() // before Close, so that Close abandons the object instead of committing it
		_ = w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if a.dir != "" {
		return a.settle(key, newDir)
	}
	return nil
}

// settle makes the file backend's object at key durable and private: fileblob neither
// fsyncs nor sets modes. The object and its metadata file (fileblob's documented
// sidecar, "<object>.attrs", written before the rename) are fsync'd, and so is the
// directory that holds them, and when the write made that directory (newDir), every
// directory up to the root: an acknowledged write survives a crash.
func (a *Archive) settle(key string, newDir bool) error {
	path := a.path(key)
	if err := os.Chmod(path+".attrs", fileMode); err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, p := range []string{path, path + ".attrs"} {
		if err := syncPath(p); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if err := syncPath(dir); err != nil {
			return err
		}
		if !newDir || len(dir) <= len(a.dir) {
			return nil
		}
	}
}

// syncPath fsyncs the file or directory at p.
func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// path is the file of key on the file backend (keys of the layout need no escaping).
func (a *Archive) path(key string) string { return filepath.Join(a.dir, filepath.FromSlash(key)) }

// read returns the object at key when it is at most max bytes; a larger one is
// damaged (nothing the archive writes is).
func (a *Archive) read(ctx context.Context, key string, max int64) ([]byte, error) {
	r, err := a.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.Size() > max {
		return nil, corrupt(key, "%d bytes, over the limit of %d", r.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, corrupt(key, "over the limit of %d bytes", max)
	}
	return data, nil
}

// keyLocks serialises writers of one key within the process, striped: keys that share
// a stripe wait for each other too.
type keyLocks struct {
	seed    maphash.Seed
	stripes [64]sync.Mutex
}

// lock locks key's stripe and returns its unlock.
func (l *keyLocks) lock(key string) func() {
	m := &l.stripes[maphash.String(l.seed, key)%uint64(len(l.stripes))]
	m.Lock()
	return m.Unlock
}
