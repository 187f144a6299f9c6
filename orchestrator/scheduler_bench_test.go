package orchestrator_test

// Benchmarks of the scheduler against two baselines, side by side in one run:
// one time.Timer per game, and robfig/cron/v3 with one entry per game.
//
//	go test -run '^$' -bench 'Scheduler' -benchtime 1x ./orchestrator/

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/robfig/cron/v3"
)

const benchGames = 100_000

// timerSet is the first baseline: a time.Timer per game.
type timerSet struct {
	mu     sync.Mutex
	timers map[uuid.UUID]*time.Timer
	due    func(uuid.UUID, time.Time)
}

func (s *timerSet) Set(id uuid.UUID, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.timers[id]; ok {
		t.Reset(time.Until(at))
		return
	}
	s.timers[id] = time.AfterFunc(time.Until(at), func() { s.due(id, at) })
}

func (s *timerSet) Remove(id uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.timers[id]; ok {
		t.Stop()
		delete(s.timers, id)
	}
}

// onceAt is a robfig/cron schedule that fires once at a fixed instant.
type onceAt time.Time

func (o onceAt) Next(t time.Time) time.Time {
	if t.Before(time.Time(o)) {
		return time.Time(o)
	}
	return time.Time{}
}

// cronSet is the second baseline: a robfig/cron/v3 entry per game.
type cronSet struct {
	mu  sync.Mutex
	c   *cron.Cron
	ids map[uuid.UUID]cron.EntryID
	due func(uuid.UUID, time.Time)
}

func (s *cronSet) Set(id uuid.UUID, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.ids[id]; ok {
		s.c.Remove(e)
	}
	s.ids[id] = s.c.Schedule(onceAt(at), cron.FuncJob(func() { s.due(id, at) }))
}

func (s *cronSet) Remove(id uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.ids[id]; ok {
		s.c.Remove(e)
		delete(s.ids, id)
	}
}

type schedulerImpl interface {
	Set(uuid.UUID, time.Time)
	Remove(uuid.UUID)
}

// starter is implemented by contenders that are filled before they start: robfig/cron
// re-sorts all entries on every add while running, so 100k adds to a running cron
// would measure only that.
type starter interface{ Start() }

func (s *cronSet) Start() { s.c.Start() }

// samples is how many reschedules and removes are timed: fewer for robfig/cron,
// whose every change on a running cron costs a sort of all entries.
func samples(name string) int {
	if name == "robfig-cron" {
		return 200
	}
	return 10_000
}

// impls builds each contender with its due callback; close stops it.
func impls(due func(uuid.UUID, time.Time)) []struct {
	name string
	new  func() (schedulerImpl, func())
} {
	return []struct {
		name string
		new  func() (schedulerImpl, func())
	}{
		{"heap", func() (schedulerImpl, func()) {
			s := orchestrator.NewScheduler(benchGames)
			s.Due = func(_ context.Context, batch []orchestrator.Deadline) {
				for _, d := range batch {
					due(d.GameID, d.At)
				}
			}
			s.Open()
			return s, s.Close
		}},
		{"timer-per-game", func() (schedulerImpl, func()) {
			s := &timerSet{timers: make(map[uuid.UUID]*time.Timer, benchGames), due: due}
			return s, func() {
				for id := range s.timers {
					s.Remove(id)
				}
			}
		}},
		{"robfig-cron", func() (schedulerImpl, func()) {
			s := &cronSet{c: cron.New(cron.WithSeconds()), ids: make(map[uuid.UUID]cron.EntryID, benchGames), due: due}
			return s, func() { <-s.c.Stop().Done() }
		}},
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkSchedulerMemory reports bytes of scheduler state per scheduled game.
func BenchmarkSchedulerMemory(b *testing.B) {
	ids := make([]uuid.UUID, benchGames)
	for i := range ids {
		ids[i] = uuid.New()
	}
	far := time.Now().Add(24 * time.Hour)
	for _, impl := range impls(func(uuid.UUID, time.Time) {}) {
		b.Run(impl.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				before := heapInUse()
				s, closeFn := impl.new()
				for j, id := range ids {
					s.Set(id, far.Add(time.Duration(j)*time.Millisecond))
				}
				after := heapInUse()
				b.ReportMetric(float64(after-before)/benchGames, "B/game")
				runtime.KeepAlive(s)
				closeFn()
			}
		})
	}
}

// BenchmarkSchedulerOps reports p50/p99 latency of add, reschedule and remove with
// 100k games already scheduled.
func BenchmarkSchedulerOps(b *testing.B) {
	far := time.Now().Add(24 * time.Hour)
	for _, impl := range impls(func(uuid.UUID, time.Time) {}) {
		b.Run(impl.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s, closeFn := impl.new()
				ids := make([]uuid.UUID, benchGames)
				for j := range ids {
					ids[j] = uuid.New()
					s.Set(ids[j], far.Add(time.Duration(rand.IntN(3600_000))*time.Millisecond))
				}
				if st, ok := s.(starter); ok {
					st.Start()
				}
				n := samples(impl.name)
				add, resched, remove := make([]time.Duration, n), make([]time.Duration, n), make([]time.Duration, n)
				for j := 0; j < n; j++ {
					at := far.Add(time.Duration(rand.IntN(3600_000)) * time.Millisecond)
					id := uuid.New()
					t := time.Now()
					s.Set(id, at)
					add[j] = time.Since(t)
				}
				for j := 0; j < n; j++ {
					at := far.Add(time.Duration(rand.IntN(3600_000)) * time.Millisecond)
					t := time.Now()
					s.Set(ids[j], at)
					resched[j] = time.Since(t)
				}
				for j := 0; j < n; j++ {
					t := time.Now()
					s.Remove(ids[n+j])
					remove[j] = time.Since(t)
				}
				b.ReportMetric(pct(add, 0.99).Seconds()*1e6, "add-p99-µs")
				b.ReportMetric(pct(resched, 0.99).Seconds()*1e6, "resched-p99-µs")
				b.ReportMetric(pct(remove, 0.99).Seconds()*1e6, "remove-p99-µs")
				closeFn()
			}
		})
	}
}

// BenchmarkSchedulerFiring: 100k games scheduled, 10% of them due within the same
// second; the callback stands for an engine that answers at once. Lateness is the
// time from a deadline to its callback.
func BenchmarkSchedulerFiring(b *testing.B) {
	for _, name := range []string{"heap", "timer-per-game", "robfig-cron"} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				const dueNow = benchGames / 10
				var mu sync.Mutex
				late := make([]time.Duration, 0, dueNow)
				done := make(chan struct{})
				due := func(_ uuid.UUID, at time.Time) {
					d := time.Since(at)
					mu.Lock()
					late = append(late, d)
					if len(late) == dueNow {
						close(done)
					}
					mu.Unlock()
				}
				var impl func() (schedulerImpl, func())
				for _, c := range impls(due) {
					if c.name == name {
						impl = c.new
					}
				}
				s, closeFn := impl()
				// The due second starts 2 s from now, after all 100k are scheduled.
				start := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
				for j := 0; j < benchGames; j++ {
					at := start.Add(time.Duration(rand.IntN(1000)) * time.Millisecond)
					if j >= dueNow {
						at = at.Add(24 * time.Hour)
					}
					s.Set(uuid.New(), at)
				}
				if st, ok := s.(starter); ok {
					st.Start()
				}
				select {
				case <-done:
				case <-time.After(time.Minute):
					b.Fatalf("only %d of %d fired", len(late), dueNow)
				}
				b.ReportMetric(pct(late, 0.50).Seconds()*1e3, "late-p50-ms")
				b.ReportMetric(pct(late, 0.99).Seconds()*1e3, "late-p99-ms")
				b.ReportMetric(pct(late, 0.999).Seconds()*1e3, "late-p99.9-ms")
				closeFn()
			}
		})
	}
}

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}
