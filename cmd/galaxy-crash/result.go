package main

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// The checks a Violation can belong to.
const (
	CheckAcked    = "acknowledged" // an acknowledged game or operation is missing or never ended
	CheckTerminal = "terminal"     // an operation is not terminal, or failed without a code
	CheckTurns    = "turns"        // a turn was doubled, skipped or not recorded
	CheckOrphan   = "orphan"       // an engine outlived the final graceful shutdown
	CheckTwin     = "twin-engines" // two engines ran on one game's state at once
	CheckBolt     = "bbolt"        // the bbolt file is corrupt or does not open
	CheckDaemon   = "daemon"       // galaxyd did not come back, or did not shut down
	CheckSettle   = "settle"       // operations were still running at the deadline
)

// Violation is one broken promise.
type Violation struct {
	Check  string
	GameID uuid.UUID // uuid.Nil when not about one game
	Detail string
}

func (v Violation) String() string {
	if v.GameID == uuid.Nil {
		return fmt.Sprintf("[%s] %s", v.Check, v.Detail)
	}
	return fmt.Sprintf("[%s] game %s: %s", v.Check, v.GameID, v.Detail)
}

// Result is what one run did and found.
type Result struct {
	Seed     int64
	WorkDir  string
	Duration time.Duration
	// Kills is the number of SIGKILLs delivered; Restarts the daemon starts after one.
	Kills, Restarts int

	// Games and Operations count what the store holds at the end.
	Games, Operations        int
	OpsSucceeded, OpsFailed  int
	Turns                    int // sum of the games' final turns
	ScheduledTurns, Forced   int // succeeded turn / force_next_turn operations
	GamesAcked, OpsAcked     int // writes the API acknowledged
	OrdersAcked, PausesAcked int
	Rejected, Indeterminate  int // writes refused (4xx/5xx, refused connection) and unanswered
	ServerErrors             int // 5xx answers among Rejected
	EngineSamples, Survivors int // /proc samples taken; engines of a killed daemon seen after its restart
	FailedByCode             map[string]int
	OpsByKind                map[string]int // operations in the store, by kind and source
	Violations               []Violation
	Notes                    []string

	mu sync.Mutex
}

func (r *Result) violate(check string, game uuid.UUID, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Violations = append(r.Violations, Violation{Check: check, GameID: game, Detail: fmt.Sprintf(format, args...)})
}

func (r *Result) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// ViolationsOf returns the violations of one check.
func (r *Result) ViolationsOf(check string) []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Check == check {
			out = append(out, v)
		}
	}
	return out
}

// Summary writes the figures and every violation, one per line.
func (r *Result) Summary(w io.Writer) {
	fmt.Fprintf(w, "galaxy-crash: %s, seed %d, work dir %s\n", r.Duration.Round(time.Millisecond), r.Seed, r.WorkDir)
	fmt.Fprintf(w, "  kills %d, restarts %d\n", r.Kills, r.Restarts)
	fmt.Fprintf(w, "  games %d (acknowledged %d), turns %d (scheduled %d, forced %d)\n", r.Games, r.GamesAcked, r.Turns, r.ScheduledTurns, r.Forced)
	fmt.Fprintf(w, "  operations %d (acknowledged %d): succeeded %d, failed %d %v\n", r.Operations, r.OpsAcked, r.OpsSucceeded, r.OpsFailed, sortedCounts(r.FailedByCode))
	fmt.Fprintf(w, "  operations by kind/source: %v\n", sortedCounts(r.OpsByKind))
	fmt.Fprintf(w, "  writes: orders %d, pauses/resumes %d acknowledged; rejected %d (5xx %d), unanswered %d\n", r.OrdersAcked, r.PausesAcked, r.Rejected, r.ServerErrors, r.Indeterminate)
	fmt.Fprintf(w, "  engine samples %d, engines of a killed daemon alive after its restart %d\n", r.EngineSamples, r.Survivors)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "  violations: %d\n", len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION %s\n", v)
	}
}

func sortedCounts(m map[string]int) []string {
	var out []string
	for k, n := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(out)
	return out
}
