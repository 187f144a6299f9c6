package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// TestSleepWake, on both drivers: a sleeping game holds no engine, serves the reports
// of generated turns from the archive without waking, and a player's orders wake it
// with nothing lost — a race's final orders sent before the sleep still count after
// it, on Nomad even with the volume given back (the wake restores the state from the
// archive and the orders journal).
func TestSleepWake(t *testing.T) {
	t.Run("Local", func(t *testing.T) {
		dir := t.TempDir()
		m := MustRunMain(t, dir, "-config", writeConfig(t, dir, "idle {\n  after = \"1h\"\n}\n"))
		testSleepWake(t, m)
	})
	t.Run("Nomad", func(t *testing.T) {
		srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBin, Logf: func(string, ...any) {}})
		dir := t.TempDir()
		hcl := fmt.Sprintf("driver = \"nomad\"\nnomad {\n  address = \"%s\"\n  driver = \"raw_exec\"\n  consul_address = \"%s\"\n  rate_limit = 1000\n  rate_burst = 1000\n}\n"+
			"idle {\n  after = \"1h\"\n  release_volume = true\n}\n", srv.NomadAddr(), srv.ConsulAddr())
		m := MustRunMain(t, dir, "-config", writeConfig(t, dir, hcl))
		testSleepWake(t, m)
	})
}

func writeConfig(t *testing.T, dir, hcl string) string {
	t.Helper()
	p := filepath.Join(dir, "galaxyd.hcl")
	if err := os.WriteFile(p, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testSleepWake(t *testing.T, m *Main) {
	a := api{tb: t, base: m.HTTP.URL()}
	alice, bob := uuid.New(), uuid.New()
	var g orchestrator.GameView
	a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
		"engineVersion": DevEngineVersion,
		"schedule":      map[string]string{"cron": "0 0 1 1 *"},
		"players":       []map[string]any{{"userId": alice, "raceName": "Aliens"}, {"userId": bob, "raceName": "Borgs"}},
	}, &g)
	id := g.ID
	a.action(id, "start", nil)
	a.action(id, "force-next-turn", nil)
	orders := func(user uuid.UUID) map[string]any {
		var res map[string]any
		a.must(200, "POST", "/api/v1/games/"+id.String()+"/orders", user, map[string]any{"turn": 1, "orders": []any{}, "final": true}, &res)
		return res
	}
	if res := orders(alice); res["allFinal"] == true {
		t.Fatalf("one race of two final: %v", res)
	}

	a.action(id, "sleep", nil)
	if got := a.game(id).Runtime.Status; got != orchestrator.StatusAsleep {
		t.Fatalf("after sleep: status %q, want asleep", got)
	}
	insts, err := m.Driver.Instances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range insts {
		if in.GameID == id && in.Running {
			t.Fatalf("a sleeping game's engine runs: %+v", in)
		}
	}
	waitMetric(t, a, `galaxy_engines{state="asleep"} 1`)

	// A generated turn's report, from the archive: the game sleeps on.
	a.must(200, "GET", "/api/v1/games/"+id.String()+"/report?turn=1", alice, nil, nil)
	if got := a.game(id).Runtime.Status; got != orchestrator.StatusAsleep {
		t.Fatalf("after reading a report: status %q, want still asleep", got)
	}

	// Bob's orders wake it; Alice's final orders of before the sleep are still there.
	if res := orders(bob); res["allFinal"] != true {
		t.Fatalf("both races final after the wake: %v, want allFinal (Alice's orders lost in the sleep?)", res)
	}
	v := a.game(id)
	if v.Runtime.Status != orchestrator.StatusRunning || v.Runtime.CurrentTurn != 1 {
		t.Fatalf("after the wake: status %q turn %d, want running at turn 1", v.Runtime.Status, v.Runtime.CurrentTurn)
	}
	a.action(id, "force-next-turn", nil)
	if st := engineState(t, m, id); st.GameID != id || st.Turn != 2 {
		t.Fatalf("engine after the wake and a turn: game %s turn %d, want %s turn 2", st.GameID, st.Turn, id)
	}
	waitMetric(t, a, `galaxy_engines{state="running"} 1`)
}

// waitMetric polls /metrics until it holds line, with a deadline.
func waitMetric(t *testing.T, a api, line string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := a.do("GET", "/metrics", uuid.Nil, nil)
		if code == 200 && strings.Contains(string(body), line) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q", line)
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
}
