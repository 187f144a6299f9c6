package orchestrator

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Default sizes of a WorkerPool.
const (
	DefaultWorkers    = 32
	DefaultMaxWorkers = 10_000
	DefaultQueueSize  = 1024
)

// WorkerPool runs operations with bounded concurrency and a bounded queue, one at a
// time per game (operations of one game run in submission order), so two lifecycle
// actions never race on the same engine. A full queue is refused at Reserve time, before
// anything is written, and never blocks a caller.
type WorkerPool struct {
	// Workers is the number of operations run at once in the steady state
	// (DefaultWorkers when 0); when work waits and none of them is free, the pool adds
	// workers, up to MaxWorkers (DefaultMaxWorkers when 0), who leave again after
	// idling a while: a rush of turns falling due together runs in parallel (engine
	// calls wait on the network, not on the CPU; a worker is a goroutine) and its
	// results share commits.
	Workers    int
	MaxWorkers int
	// QueueSize bounds the operations waiting or running (DefaultQueueSize when 0).
	QueueSize int
	// Run executes one operation; ctx is cancelled when the pool closes, in which case
	// the operation must be left as it is (it is resumed at the next boot).
	Run func(ctx context.Context, op *Operation)

	mu      sync.Mutex
	pending int // reserved or queued or running
	workers int // started and not yet gone
	idle    int // workers waiting for work
	// waiting counts the games handed to ready that no worker took yet, starting the
	// workers spawned that are not waiting yet: while more games wait than workers are
	// free or on their way, the pool grows (a burst of submissions arrives before any
	// worker wakes up, so "no worker idle" alone would never grow it).
	waiting  int
	starting int
	games    map[uuid.UUID][]*Operation // per-game FIFO; present while a game is scheduled
	ready    chan uuid.UUID             // games with work and no worker on them

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
	if p.MaxWorkers < p.Workers {
		p.MaxWorkers = max(p.Workers, DefaultMaxWorkers)
	}
	p.games = make(map[uuid.UUID][]*Operation)
	// Each game is in ready at most once and only while it has queued work, and queued
	// work is bounded by QueueSize plus boot recovery; the extra room keeps sends
	// non-blocking for resumed operations, which bypass the limit.
	p.ready = make(chan uuid.UUID, p.QueueSize)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.mu.Lock()
	for i := 0; i < p.Workers; i++ {
		p.spawn(false)
	}
	p.mu.Unlock()
}

// spawn starts a worker; a temporary one leaves after idling. The caller holds p.mu.
func (p *WorkerPool) spawn(temporary bool) {
	p.workers++
	p.starting++
	p.wg.Add(1)
	go p.work(temporary)
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

// Admit takes a queue slot whatever the limit: for work the orchestrator owes (a
// turn falling due), which the limit that protects it from callers must not refuse.
func (p *WorkerPool) Admit() Ticket {
	p.mu.Lock()
	p.pending++
	p.mu.Unlock()
	return Ticket{valid: true}
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
	if !scheduled {
		p.waiting++
		p.grow()
	}
	p.mu.Unlock()
	if !scheduled {
		p.push(op.GameID)
	}
}

// grow adds a temporary worker, for as long as there is work, when more games wait
// than workers are free or starting. The caller holds p.mu.
func (p *WorkerPool) grow() {
	if p.waiting > p.idle+p.starting && p.workers < p.MaxWorkers && p.ctx != nil && p.ctx.Err() == nil {
		p.spawn(true)
	}
}

// workerIdle is how long a temporary worker waits for work before it leaves.
const workerIdle = 5 * time.Second

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

func (p *WorkerPool) work(temporary bool) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		p.workers--
		p.mu.Unlock()
	}()
	var idle <-chan time.Time
	first := true
	for {
		p.mu.Lock()
		if first {
			p.starting--
			first = false
		}
		p.idle++
		p.mu.Unlock()
		if temporary {
			idle = time.After(workerIdle)
		}
		var id uuid.UUID
		select {
		case <-p.ctx.Done():
			p.mu.Lock()
			p.idle--
			p.mu.Unlock()
			return
		case <-idle:
			p.mu.Lock()
			p.idle--
			p.mu.Unlock()
			return
		case id = <-p.ready:
			p.mu.Lock()
			p.idle--
			p.waiting--
			p.mu.Unlock()
		}
		{
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
				p.waiting++
				p.grow()
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
