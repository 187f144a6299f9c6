package store

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Group commit. An fsync'd bbolt commit costs milliseconds whatever it holds, so the
// store makes every Update that arrives while a commit is under way wait for the next
// one, which then holds them all (up to MaxGroup; urgent ones — see
// orchestrator.WithPriority — first, in a commit of their own): one commit for a lone
// writer at once (no delay), a handful for thousands of turns falling due together. bbolt's own DB.Batch does not
// grow a batch while the writer is busy — it cuts one every MaxBatchDelay and queues
// them — which is what the 18:00 rush showed (many small commits, each behind the
// last).

// call is one Update waiting for a commit.
type call struct {
	fn   func(*bolt.Tx) error
	err  error // fn's own error, or the commit's
	done chan struct{}
}

// committer runs the group commits of one database.
type committer struct {
	db *bolt.DB
	// max bounds the calls of one commit, so that one commit's transaction stays a
	// size bbolt handles well.
	max int

	mu      sync.Mutex
	urgent  []*call // committed before pending
	pending []*call
	running bool
}

// update runs fn in the next group commit and returns fn's error, or the commit's. An
// urgent fn is committed before every fn that is not.
func (c *committer) update(fn func(*bolt.Tx) error, urgent bool) error {
	cl := &call{fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	if urgent {
		c.urgent = append(c.urgent, cl)
	} else {
		c.pending = append(c.pending, cl)
	}
	if !c.running {
		c.running = true
		go c.run()
	}
	c.mu.Unlock()
	<-cl.done
	return cl.err
}

// run commits the pending calls, group after group, until none is left.
func (c *committer) run() {
	for {
		c.mu.Lock()
		// Urgent calls commit on their own, so that their callers wait for one small
		// commit, not for a big group of others (mixing some of the others in was
		// measured slower for both).
		from := &c.pending
		if len(c.urgent) > 0 {
			from = &c.urgent
		}
		n := min(len(*from), c.max)
		if n == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		group := (*from)[:n:n]
		*from = (*from)[n:]
		c.mu.Unlock()
		c.commit(group)
	}
}

// commit runs every call of group in one transaction. A call whose fn fails is taken
// out and answered with its error, and the transaction is run again without it (fns
// may run more than once, as with DB.Batch); a commit that fails answers every call
// that took part with the commit's error.
func (c *committer) commit(group []*call) {
	for len(group) > 0 {
		failed := -1
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, cl := range group {
				if err := safely(cl.fn, tx); err != nil {
					failed, cl.err = i, err
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			close(group[failed].done)
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		for _, cl := range group {
			cl.err = err
			close(cl.done)
		}
		return
	}
}

// safely runs fn, turning a panic into its error (as DB.Batch does), so that one
// caller's bug cannot take the others' commit down with it.
func safely(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in an update: %v", p)
		}
	}()
	return fn(tx)
}
