package orchestrator

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/cronexpr"
)

// MinEveryInterval and MaxEveryInterval bound an "@every" interval; longer cycles are
// written as cron expressions.
const (
	MinEveryInterval = time.Second
	MaxEveryInterval = 366 * 24 * time.Hour
)

// Schedule says when a game's turns run: Cron is a cron expression (5 to 7 fields, as
// parsed by github.com/hashicorp/cronexpr, the parser Nomad uses for periodic jobs) or
// "@every <duration>" (for tests and demos); Timezone is an IANA zone name ("UTC" when
// empty) in which the cron grid is laid out, so "0 18 * * *" in Europe/Berlin stays at
// 18:00 local time across DST changes.
type Schedule struct {
	Cron     string `json:"cron"`
	Timezone string `json:"timezone"`
}

// Validate returns an EINVALID error naming "schedule.cron" or "schedule.timezone".
func (s Schedule) Validate() error {
	_, err := s.Compile()
	return err
}

// Compile parses the schedule once so that Next can be called cheaply.
// It returns EINVALID errors naming the field at fault. Compiled schedules are shared
// (most games of a platform have one of a few), so a turn does not parse its cron
// expression and read its time zone's file again.
func (s Schedule) Compile() (*CompiledSchedule, error) {
	if c, ok := compiled.Load(s); ok {
		return c.(*CompiledSchedule), nil
	}
	c, err := s.compile()
	if err == nil && compiledCount.Add(1) <= maxCompiled {
		compiled.Store(s, c)
	}
	return c, err
}

// compiled holds up to maxCompiled compiled schedules, by Schedule; past that bound
// (every game with its own grid) schedules are compiled on each use.
var (
	compiled      sync.Map
	compiledCount atomic.Int64
)

const maxCompiled = 10_000

func (s Schedule) compile() (*CompiledSchedule, error) {
	loc := time.UTC
	if s.Timezone != "" {
		l, err := time.LoadLocation(s.Timezone)
		if err != nil || strings.ContainsAny(s.Timezone, "\x00") || s.Timezone == "Local" {
			return nil, FieldErrorf("schedule.timezone", "unknown IANA time zone %q", s.Timezone)
		}
		loc = l
	}
	expr := strings.TrimSpace(s.Cron)
	if expr == "" {
		return nil, FieldErrorf("schedule.cron", "cron expression is required")
	}
	if rest, ok := strings.CutPrefix(expr, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, FieldErrorf("schedule.cron", "invalid @every duration %q", strings.TrimSpace(rest))
		} else if d < MinEveryInterval || d > MaxEveryInterval {
			return nil, FieldErrorf("schedule.cron", "@every interval must be between %s and %s", MinEveryInterval, MaxEveryInterval)
		}
		return &CompiledSchedule{every: d, loc: loc}, nil
	}
	ce, err := parseCron(expr)
	if err != nil {
		return nil, FieldErrorf("schedule.cron", "invalid cron expression %q: %v", expr, err)
	}
	// An expression that never fires again (e.g. a year in the past) would leave a
	// game without turns; refuse it at create time instead.
	if ce.Next(time.Now().In(loc)).IsZero() {
		return nil, FieldErrorf("schedule.cron", "cron expression %q never fires", expr)
	}
	return &CompiledSchedule{cron: ce, loc: loc}, nil
}

// parseCron guards against panics inside the parser: bad input must be a 400.
func parseCron(expr string) (ce *cronexpr.Expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			ce, err = nil, FieldErrorf("schedule.cron", "unparsable")
		}
	}()
	return cronexpr.Parse(expr)
}

// CompiledSchedule is a parsed Schedule, safe for concurrent use: every game on the
// same grid shares one.
type CompiledSchedule struct {
	// mu guards cron: cronexpr's Expression.Next writes into the expression (the days
	// of the month it looks at), so two calls at once race and may answer wrong.
	mu    sync.Mutex
	cron  *cronexpr.Expression
	every time.Duration
	loc   *time.Location
}

// Next returns the first slot strictly after t, on the schedule's grid in its time
// zone. "@every d" slots are multiples of d since the Unix epoch, so the grid does not
// drift with the moment a game started. Next returns the zero time when the schedule
// never fires again.
func (c *CompiledSchedule) Next(t time.Time) (next time.Time) {
	if c.every > 0 {
		n := t.UnixNano()/int64(c.every) + 1
		return time.Unix(0, n*int64(c.every)).In(c.loc)
	}
	defer func() {
		if recover() != nil {
			next = time.Time{}
		}
	}()
	// The grid is walked in wall-clock time (the zone's local date and time, treated as
	// UTC, which has no DST), then mapped back into the zone. Walking real time instead
	// would, when clocks fall back, fire a daily 01:30 slot twice, and when they spring
	// forward, skip a 02:30 slot for the whole day. This way a slot in a repeated hour
	// runs once, and a slot inside the gap runs just after it (02:30 becomes 03:30).
	w := wall(t.In(c.loc))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < 10000; i++ {
		w = c.cron.Next(w)
		if w.IsZero() {
			return w
		}
		y, mo, d := w.Date()
		h, mi, sec := w.Clock()
		next = time.Date(y, mo, d, h, mi, sec, 0, c.loc)
		if !wall(next).Equal(w) {
			// w falls in a spring-forward gap; time.Date may have moved it an hour early.
			// Read it with the offset of before the gap, which lands just after it.
			_, before := next.Add(-12 * time.Hour).Zone()
			if alt := time.Unix(w.Unix()-int64(before), 0).In(c.loc); alt.After(next) {
				next = alt
			}
		}
		if next.After(t) {
			return next
		}
	}
	return time.Time{}
}

// wall is the local date and time of t, stripped of its zone offset.
func wall(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}
