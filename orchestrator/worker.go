package orchestrator

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

// Default sizes of a WorkerPool.
const (
	DefaultWorkers   = 32
	DefaultQueueSize = 1024
)

// WorkerPool runs operations with bounded concurrency and a bounded queue, one at a
// time per game (operations of one game run in submission order), so two lifecycle
// actions never race on the same engine. A full queue is refused at Reserve time, before
// anything is written, and never blocks a caller.
type WorkerPool struct {
	// Workers is the number of operations run at once (DefaultWorkers when 0).
	Workers int
	// QueueSize bounds the operations waiting or running (DefaultQueueSize when 0).
	QueueSize int
	// Run executes one operation; ctx is cancelled when the pool closes, in which case
	// the operation must be left as it is (it is resumed at the next boot).
	Run func(ctx context.Context, op *Operation)

	mu      sync.Mutex
	pending int                        // reserved or queued or running
	games   map[uuid.UUID][]*Operation // per-game FIFO; present while a game is scheduled
	ready   chan uuid.UUID             // games with work and no worker on them

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Ticket is a reserved queue slot; pass it to Submit or Release.
type Ticket struct{ valid bool }

// Open starts the workers.
func (p *WorkerPool) Open() {
	if p.Workers <= 0 {
		p.Workers = DefaultWorkers
	}
	if p.QueueSize <= 0 {
		p.QueueSize = DefaultQueueSize
	}
	p.games = make(map[uuid.UUID][]*Operation)
	// Each game is in ready at most once and only while it has queued work, and queued
	// work is bounded by QueueSize plus boot recovery; the extra room keeps sends
	// non-blocking for resumed operations, which bypass the limit.
	p.ready = make(chan uuid.UUID, p.QueueSize)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for i := 0; i < p.Workers; i++ {
		p.wg.Add(1)
		go p.work()
	}
}

// Close stops taking work, cancels running operations and waits for the workers.
// Queued operations stay in the store and are resumed at the next boot.
func (p *WorkerPool) Close() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
}

// Reserve takes a queue slot. It returns EOVERLOADED when the queue is full.
func (p *WorkerPool) Reserve() (Ticket, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending >= p.QueueSize {
		return Ticket{}, Errorf(EOVERLOADED, "the operation queue is full (%d); retry later", p.QueueSize)
	}
	p.pending++
	return Ticket{valid: true}, nil
}

// Release gives back a slot that will not be used.
func (p *WorkerPool) Release(t Ticket) {
	if !t.valid {
		return
	}
	p.mu.Lock()
	p.pending--
	p.mu.Unlock()
}

// Submit queues op behind the game's earlier operations, using the slot of t.
func (p *WorkerPool) Submit(t Ticket, op *Operation) {
	if !t.valid {
		panic("orchestrator: Submit without a reserved ticket")
	}
	p.enqueue(op)
}

// Resume queues an operation found pending at boot; it bypasses the queue limit,
// because refusing it would drop an acknowledged operation.
func (p *WorkerPool) Resume(op *Operation) {
	p.mu.Lock()
	p.pending++
	p.mu.Unlock()
	p.enqueue(op)
}

// Pending returns the number of operations waiting or running.
func (p *WorkerPool) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending
}

func (p *WorkerPool) enqueue(op *Operation) {
	p.mu.Lock()
	q, scheduled := p.games[op.GameID]
	p.games[op.GameID] = append(q, op)
	p.mu.Unlock()
	if !scheduled {
		p.push(op.GameID)
	}
}

// push hands a game to the workers without ever blocking the caller: the channel
// has room for QueueSize games; beyond that (only after boot recovery) a goroutine waits.
func (p *WorkerPool) push(id uuid.UUID) {
	select {
	case p.ready <- id:
	default:
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			select {
			case p.ready <- id:
			case <-p.ctx.Done():
			}
		}()
	}
}

func (p *WorkerPool) work() {
	defer p.wg.Done()
	for {
		select {
		case <-p.ctx.Done():
			return
		case id := <-p.ready:
			p.mu.Lock()
			op := p.games[id][0]
			p.mu.Unlock()

			p.Run(p.ctx, op)

			p.mu.Lock()
			p.pending--
			q := p.games[id][1:]
			if len(q) == 0 {
				delete(p.games, id)
			} else {
				p.games[id] = q
			}
			p.mu.Unlock()
			if len(q) > 0 {
				p.push(id)
			}
			if p.ctx.Err() != nil {
				return
			}
		}
	}
}
