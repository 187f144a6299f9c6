package orchestrator

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Scheduler holds one deadline per game in a min-heap and runs a single timer for the
// earliest one: no goroutine or timer per game. When deadlines pass, their games are
// handed to Due by a small, fixed set of dispatchers; the deadline is removed from the
// heap at that moment, and Due is expected to Set the next one.
type Scheduler struct {
	// Due receives up to MaxBatch passed deadlines at a time, in deadline order, from
	// one of Dispatchers goroutines, so that many games falling due together cost one
	// store transaction.
	Due func(ctx context.Context, due []Deadline)
	// MaxBatch bounds a Due call (10,000 when 0).
	MaxBatch int
	// Window is how long a dispatcher that received passed deadlines waits for more
	// before it calls Due (2 ms of real time when 0): deadlines a few milliseconds apart
	// — a platform's 18:00 rush — then fall due together, in one Due call and one store
	// transaction, each at most Window later than alone.
	Window time.Duration
	// Clock defaults to SystemClock.
	Clock Clock
	// Dispatchers bounds concurrent Due calls (4 when 0); more than one lets the store
	// coalesce the writes of many games falling due in the same second.
	Dispatchers int

	mu    sync.Mutex
	ih    indexedHeap // h with its index, for container/heap; set once in NewScheduler
	h     deadlineHeap
	index map[uuid.UUID]int32 // position in h
	wake  chan struct{}
	due   chan []Deadline

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type deadline struct {
	at int64 // unix nanoseconds: 8 bytes instead of time.Time's 24
	id uuid.UUID
}

// Deadline is a game's passed deadline, as Due receives it.
type Deadline struct {
	GameID uuid.UUID
	At     time.Time
}

// NewScheduler returns a scheduler with room for n games before it grows.
func NewScheduler(n int) *Scheduler {
	s := &Scheduler{
		h:     deadlineHeap{items: make([]deadline, 0, n)},
		index: make(map[uuid.UUID]int32, n),
		wake:  make(chan struct{}, 1),
	}
	s.ih = indexedHeap{s}
	return s
}

// Open starts the timer loop and the dispatchers.
func (s *Scheduler) Open() {
	if s.Clock == nil {
		s.Clock = SystemClock{}
	}
	if s.Dispatchers <= 0 {
		s.Dispatchers = 4
	}
	if s.MaxBatch <= 0 {
		s.MaxBatch = 10_000
	}
	if s.Window <= 0 {
		s.Window = 2 * time.Millisecond
	}
	s.due = make(chan []Deadline, s.Dispatchers)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1 + s.Dispatchers)
	go s.loop()
	for i := 0; i < s.Dispatchers; i++ {
		go s.dispatch()
	}
}

// Close stops the loops; deadlines stay in memory but nothing fires.
func (s *Scheduler) Close() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
}

// Set adds or moves the game's deadline. O(log n).
func (s *Scheduler) Set(id uuid.UUID, at time.Time) {
	s.mu.Lock()
	d := deadline{at: at.UnixNano(), id: id}
	if i, ok := s.index[id]; ok {
		s.h.items[i].at = d.at
		heap.Fix(s.heapIface(), int(i))
	} else {
		heap.Push(s.heapIface(), d)
	}
	first := s.h.items[0].id == id
	s.mu.Unlock()
	if first {
		s.poke()
	}
}

// Remove drops the game's deadline, if any. O(log n).
func (s *Scheduler) Remove(id uuid.UUID) {
	s.mu.Lock()
	if i, ok := s.index[id]; ok {
		heap.Remove(s.heapIface(), int(i))
	}
	s.mu.Unlock()
}

// Len returns the number of scheduled games.
func (s *Scheduler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.h.items)
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Scheduler) loop() {
	defer s.wg.Done()
	for {
		now := s.Clock.Now().UnixNano()
		var fired []Deadline
		s.mu.Lock()
		for len(s.h.items) > 0 && s.h.items[0].at <= now && len(fired) < s.MaxBatch {
			d := heap.Pop(s.heapIface()).(deadline)
			fired = append(fired, Deadline{GameID: d.id, At: time.Unix(0, d.at)})
		}
		wait := time.Duration(-1)
		if len(s.h.items) > 0 {
			wait = time.Duration(s.h.items[0].at - now)
		}
		s.mu.Unlock()

		if len(fired) > 0 {
			select {
			case s.due <- fired:
			case <-s.ctx.Done():
				return
			}
			continue // time moved while handing out; look again before sleeping
		}

		var timerC <-chan time.Time
		var t Timer
		if wait >= 0 {
			t = s.Clock.NewTimer(wait)
			timerC = t.C()
		}
		select {
		case <-s.ctx.Done():
			if t != nil {
				t.Stop()
			}
			return
		case <-s.wake:
		case <-timerC:
		}
		if t != nil {
			t.Stop()
		}
	}
}

func (s *Scheduler) dispatch() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case batch := <-s.due:
			// Gather what falls due right behind: one transaction for the lot. The
			// window is real time — it only groups; deadlines are the Clock's.
			t := time.NewTimer(s.Window)
		gather:
			for len(batch) < s.MaxBatch {
				select {
				case more := <-s.due:
					batch = append(batch, more...)
				case <-t.C:
					break gather
				case <-s.ctx.Done():
					t.Stop()
					return
				}
			}
			t.Stop()
			s.Due(s.ctx, batch)
		}
	}
}

// heapIface adapts the heap with its index map; callers hold s.mu.
func (s *Scheduler) heapIface() *indexedHeap { return &s.ih }

type deadlineHeap struct{ items []deadline }

type indexedHeap struct{ s *Scheduler }

func (h *indexedHeap) Len() int { return len(h.s.h.items) }
func (h *indexedHeap) Less(i, j int) bool {
	return h.s.h.items[i].at < h.s.h.items[j].at
}
func (h *indexedHeap) Swap(i, j int) {
	it := h.s.h.items
	it[i], it[j] = it[j], it[i]
	h.s.index[it[i].id] = int32(i)
	h.s.index[it[j].id] = int32(j)
}
func (h *indexedHeap) Push(x any) {
	d := x.(deadline)
	h.s.index[d.id] = int32(len(h.s.h.items))
	h.s.h.items = append(h.s.h.items, d)
}
func (h *indexedHeap) Pop() any {
	it := h.s.h.items
	d := it[len(it)-1]
	h.s.h.items = it[:len(it)-1]
	delete(h.s.index, d.id)
	return d
}
