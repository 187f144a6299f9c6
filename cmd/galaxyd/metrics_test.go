package main

import (
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestMetrics(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	var g orchestrator.GameView
	a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
		"engineVersion": DevEngineVersion,
		"schedule":      map[string]string{"cron": "0 0 1 1 *"},
		"players":       []map[string]any{{"userId": uuid.New(), "raceName": "Metric"}},
	}, &g)
	a.action(g.ID, "start", nil)
	a.action(g.ID, "force-next-turn", nil)

	// An operation's counters are bumped just after its outcome is committed, so the
	// API can show it done a moment before /metrics counts it: poll, with a deadline.
	want := []string{
		`galaxy_games{status="running"} 1`,
		`galaxy_operations_total{op="start",result="succeeded",source="lobby"} 1`,
		`galaxy_operations_total{op="force_next_turn",result="succeeded",source="admin"} 1`,
		`galaxy_turn_generation_seconds_count 1`,
		`galaxy_engine_health{health="passing"} 1`,
		`galaxy_engines{state="running"} 1`,
		`galaxy_engines{state="asleep"} 0`,
		`galaxy_outbox_depth 0`,
	}
	var missing []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := a.do("GET", "/metrics", uuid.Nil, nil)
		if code != 200 {
			t.Fatalf("GET /metrics: %d", code)
		}
		missing = missing[:0]
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
	for _, w := range missing {
		t.Errorf("/metrics lacks %q", w)
	}
}
