package orchestrator_test

import (
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

func TestSchedule_Next(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		name  string
		s     orchestrator.Schedule
		from  time.Time
		wants []time.Time
	}{
		{"DailyUTC", orchestrator.Schedule{Cron: "0 18 * * *"}, time.Date(2026, 1, 1, 17, 0, 0, 0, time.UTC),
			[]time.Time{time.Date(2026, 1, 1, 18, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 18, 0, 0, 0, time.UTC)}},
		// Berlin leaves CET (UTC+1) for CEST (UTC+2) on 2026-03-29: 18:00 local moves from 17:00Z to 16:00Z.
		{"BerlinAcrossDST", orchestrator.Schedule{Cron: "0 18 * * *", Timezone: "Europe/Berlin"}, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC),
			[]time.Time{time.Date(2026, 3, 28, 18, 0, 0, 0, berlin), time.Date(2026, 3, 29, 18, 0, 0, 0, berlin), time.Date(2026, 3, 30, 18, 0, 0, 0, berlin)}},
		// New York falls back on 2026-11-01: 01:30 local happens twice; the turn runs once.
		{"NewYorkFallBack", orchestrator.Schedule{Cron: "30 1 * * *", Timezone: "America/New_York"}, time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC),
			[]time.Time{time.Date(2026, 11, 1, 1, 30, 0, 0, ny), time.Date(2026, 11, 2, 1, 30, 0, 0, ny)}},
		{"Every", orchestrator.Schedule{Cron: "@every 90s"}, time.Unix(1000, 0),
			[]time.Time{time.Unix(1080, 0), time.Unix(1170, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := tc.s.Compile()
			if err != nil {
				t.Fatal(err)
			}
			from := tc.from
			for i, want := range tc.wants {
				got := cs.Next(from)
				if !got.Equal(want) {
					t.Fatalf("slot %d: Next(%v)=%v, want %v", i, from, got.UTC(), want.UTC())
				}
				from = got
			}
		})
	}
	if got := time.Date(2026, 3, 29, 18, 0, 0, 0, berlin).UTC().Hour(); got != 16 {
		t.Fatalf("fixture: Berlin 18:00 on DST day is %d:00Z, want 16:00Z", got)
	}
}

func TestSchedule_Validate(t *testing.T) {
	for _, tc := range []struct {
		name, cron, tz, field string
	}{
		{"OK", "*/5 * * * *", "Europe/Berlin", ""},
		{"OKEvery", "@every 1m", "", ""},
		{"ErrEmptyCron", "", "UTC", "schedule.cron"},
		{"ErrBadCron", "61 * * * *", "UTC", "schedule.cron"},
		{"ErrGarbage", "every day", "UTC", "schedule.cron"},
		{"ErrEveryTooShort", "@every 1ms", "UTC", "schedule.cron"},
		{"ErrEveryBad", "@every soon", "UTC", "schedule.cron"},
		{"ErrEveryTooLong", "@every 9000h", "UTC", "schedule.cron"},
		{"ErrTimezone", "* * * * *", "Mars/Olympus", "schedule.timezone"},
		{"ErrLocal", "* * * * *", "Local", "schedule.timezone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := orchestrator.Schedule{Cron: tc.cron, Timezone: tc.tz}.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate()=%v, want nil", err)
				}
				return
			}
			e, ok := err.(*orchestrator.Error)
			if !ok || e.Code != orchestrator.EINVALID || e.Field != tc.field {
				t.Fatalf("Validate()=%#v, want EINVALID on %s", err, tc.field)
			}
		})
	}
}

func TestSchedule_NextSpringForward(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	// 2026-03-08 02:00 EST jumps to 03:00 EDT in New York: 02:30 does not exist that day.
	for _, tc := range []struct {
		name  string
		cron  string
		from  time.Time
		wants []time.Time
	}{
		{"DailyInGapRunsAfterGap", "30 2 * * *", time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC),
			[]time.Time{time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), time.Date(2026, 3, 9, 6, 30, 0, 0, time.UTC)}},
		{"HalfHourlyNoDuplicates", "*/30 * * * *", time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC),
			[]time.Time{time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC), time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := orchestrator.Schedule{Cron: tc.cron, Timezone: ny.String()}.Compile()
			if err != nil {
				t.Fatal(err)
			}
			from := tc.from
			for i, want := range tc.wants {
				got := cs.Next(from)
				if !got.Equal(want) {
					t.Fatalf("slot %d: Next(%v)=%v, want %v", i, from.UTC(), got.UTC(), want.UTC())
				}
				from = got
			}
		})
	}
}

// A compiled schedule is shared by every game on the same grid, and turns of games
// falling due together compute their next slots at once: Next must be safe for
// concurrent use (cronexpr's Expression.Next keeps a per-month list in the expression,
// so unguarded calls race, under -race and in their answers).
func TestSchedule_NextConcurrent(t *testing.T) {
	s := orchestrator.Schedule{Cron: "30 18 29-31 * *", Timezone: "Europe/Berlin"}
	c, err := s.Compile()
	if err != nil {
		t.Fatal(err)
	}
	var froms, wants []time.Time
	for m := range 12 {
		from := time.Date(2026, time.Month(m+1), 3, 0, 0, 0, 0, time.UTC)
		froms, wants = append(froms, from), append(wants, c.Next(from))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := (g + i) % len(froms)
				if got := c.Next(froms[k]); !got.Equal(wants[k]) {
					t.Errorf("Next(%s) = %s concurrently, %s alone", froms[k], got, wants[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}
