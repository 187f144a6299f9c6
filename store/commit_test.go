package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openCommitter(t *testing.T) *committer {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	return &committer{db: db, max: MaxGroup}
}

// Updates that arrive while a commit is under way share the next commit, and a failing
// or panicking fn among them fails alone: the others' writes are committed, its own are not.
func TestCommitter_GroupsWaitingUpdatesAndIsolatesFailures(t *testing.T) {
	c := openCommitter(t)
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- c.update(func(tx *bolt.Tx) error {
			<-release // holds the writer so that the others queue up behind it
			return tx.Bucket([]byte("b")).Put([]byte("first"), []byte("1"))
		}, false)
	}()
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.running && len(c.pending) == 0 })

	const n = 100
	var wg sync.WaitGroup
	errs := make([]error, n)
	txIDs := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.update(func(tx *bolt.Tx) error {
				txIDs[i] = tx.ID()
				switch i {
				case 13:
					return errors.New("refused")
				case 42:
					panic("a caller's bug")
				}
				return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
			}, false)
		}()
	}
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.pending) == n })
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatalf("first update: %v", err)
	}

	ids := map[int]bool{}
	for i := range n {
		switch i {
		case 13:
			if errs[i] == nil || errs[i].Error() != "refused" {
				t.Errorf("update 13: err %v, want its own error", errs[i])
			}
		case 42:
			if errs[i] == nil || !strings.Contains(errs[i].Error(), "panic") {
				t.Errorf("update 42: err %v, want the panic as an error", errs[i])
			}
		default:
			if errs[i] != nil {
				t.Errorf("update %d: %v", i, errs[i])
			}
			ids[txIDs[i]] = true
		}
	}
	if len(ids) != 1 {
		t.Errorf("the %d waiting updates were committed in %d transactions, want 1", n-2, len(ids))
	}
	_ = c.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i := range n {
			got := b.Get(fmt.Appendf(nil, "k%d", i)) != nil
			if want := i != 13 && i != 42; got != want {
				t.Errorf("k%d stored %v, want %v", i, got, want)
			}
		}
		return nil
	})
}

// An urgent update waiting with others commits first and alone (its caller waits for
// one small commit), and a group holds at most max updates.
func TestCommitter_UrgentFirstAndGroupBound(t *testing.T) {
	c := openCommitter(t)
	c.max = 10
	release := make(chan struct{})
	go func() {
		_ = c.update(func(tx *bolt.Tx) error { <-release; return nil }, false)
	}()
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.running && len(c.pending) == 0 })
	var mu sync.Mutex
	var order []string
	var txOf = map[string]int{}
	var wg sync.WaitGroup
	enqueue := func(name string, urgent bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.update(func(tx *bolt.Tx) error {
				mu.Lock()
				defer mu.Unlock()
				order = append(order, name)
				txOf[name] = tx.ID()
				return nil
			}, urgent)
		}()
	}
	for i := range 15 {
		enqueue(fmt.Sprintf("n%d", i), false)
	}
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.pending) == 15 })
	enqueue("urgent", true)
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.urgent) == 1 })
	close(release)
	wg.Wait()
	if order[0] != "urgent" {
		t.Errorf("first update of the next group: %s, want the urgent one (order %v)", order[0], order)
	}
	groups := map[int]int{}
	for _, id := range txOf {
		groups[id]++
	}
	if n := groups[txOf["urgent"]]; n != 1 {
		t.Errorf("the urgent update shared its commit with %d others", n-1)
	}
	if len(groups) != 3 {
		t.Errorf("1 urgent and 15 other updates with max 10 went into %d commits (%v), want 3", len(groups), groups)
	}
	for id, n := range groups {
		if n > 10 {
			t.Errorf("commit %d held %d updates, more than max 10", id, n)
		}
	}
}

// A lone update commits on its own,
func TestCommitter_LoneUpdate(t *testing.T) {
	c := openCommitter(t)
	for i := range 3 {
		if err := c.update(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
		}, false); err != nil {
			t.Fatal(err)
		}
	}
	// and its goroutine ends: nothing runs while nothing is written.
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return !c.running && len(c.pending) == 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
