package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// playState is what the test reads of the engine's whole state (the game master's
// view, GET /games/{id}/state) to choose its players' orders.
type playState struct {
	Turn     int         `json:"turn"`
	Finished bool        `json:"finished"`
	Winners  []uuid.UUID `json:"winners"`
	Races    []struct {
		ID      uuid.UUID `json:"id"`
		Name    string    `json:"name"`
		Home    int       `json:"home"`
		Extinct bool      `json:"extinct"`
		Groups  []struct {
			Number int     `json:"number"`
			Design string  `json:"design"`
			Dist   float64 `json:"dist"`
		} `json:"groups"`
	} `json:"races"`
	Planets []struct {
		Number int       `json:"number"`
		X      float64   `json:"x"`
		Y      float64   `json:"y"`
		Size   float64   `json:"size"`
		Owner  uuid.UUID `json:"owner"`
	} `json:"planets"`
}

// TestPlayToAWinner plays a 4-race game through galaxyd's player routes from turn 0 to
// its end, as four players and their lobby would: designs, production, colonisation,
// peace between three races, a battle and a conquest that puts the fourth out, and the
// alliance of the other three declared the winners — every order validated by the
// engine, every turn generated, recorded and reported by the orchestrator.
func TestPlayToAWinner(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	users := []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New()}
	var players []map[string]any
	for i, u := range users {
		players = append(players, map[string]any{"userId": u, "raceName": fmt.Sprintf("R%d", i+1)})
	}
	var g orchestrator.GameView
	a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
		"engineVersion": DevEngineVersion,
		"schedule":      map[string]string{"cron": yearly},
		"players":       players,
		"settings":      map[string]any{"seed": 2024, "allianceVictory": true},
	}, &g)
	a.action(g.ID, "start", nil)
	path := "/api/v1/games/" + g.ID.String()
	state := func() *playState {
		var s playState
		a.must(200, "GET", path+"/state", uuid.Nil, nil, &s)
		return &s
	}
	turn := 0
	orders := func(player int, list ...string) {
		t.Helper()
		raw := make([]json.RawMessage, len(list))
		for i, o := range list {
			raw[i] = json.RawMessage(o)
		}
		a.must(200, "POST", path+"/orders", users[player], map[string]any{"turn": turn, "orders": raw}, nil)
	}
	next := func() {
		t.Helper()
		a.action(g.ID, "force-next-turn", nil)
		turn++
	}
	s := state()
	homeA, homeB := s.Races[0].Home, s.Races[1].Home
	orders(0,
		`{"type":"design","name":"Col","drive":2,"attacks":0,"weapons":0,"shields":0,"cargo":1}`,
		`{"type":"design","name":"Gun","drive":6,"attacks":2,"weapons":3,"shields":3,"cargo":0}`,
		fmt.Sprintf(`{"type":"produce","planet":%d,"what":"Col"}`, homeA),
		`{"type":"peace","race":"R3"}`, `{"type":"peace","race":"R4"}`)
	orders(1,
		`{"type":"design","name":"Pea","drive":1,"attacks":1,"weapons":1,"shields":1,"cargo":0}`,
		fmt.Sprintf(`{"type":"produce","planet":%d,"what":"Pea"}`, homeB))
	orders(2, `{"type":"peace","race":"R1"}`, `{"type":"peace","race":"R4"}`)
	orders(3, `{"type":"peace","race":"R1"}`, `{"type":"peace","race":"R3"}`)
	next()

	// A sends its first colony ship to the nearest free planet worth settling.
	s = state()
	ha := s.Planets[homeA-1]
	target, best := 0, math.Inf(1)
	for _, p := range s.Planets {
		if d := math.Hypot(p.X-ha.X, p.Y-ha.Y); p.Owner == uuid.Nil && p.Size >= 100 && d < best {
			target, best = p.Number, d
		}
	}
	orders(0, `{"type":"load","group":1,"cargo":"COL"}`, fmt.Sprintf(`{"type":"send","group":1,"planet":%d}`, target),
		fmt.Sprintf(`{"type":"produce","planet":%d,"what":"Gun"}`, homeA))
	orders(1, fmt.Sprintf(`{"type":"produce","planet":%d,"what":"DRIVE"}`, homeB))
	for turn < 8 {
		next()
	}

	// Every Gun at home goes to B's home: a battle, then bombing takes it.
	s = state()
	var guns []string
	for _, gr := range s.Races[0].Groups {
		if gr.Design == "Gun" && gr.Dist == 0 {
			guns = append(guns, fmt.Sprintf(`{"type":"send","group":%d,"planet":%d}`, gr.Number, homeB))
		}
	}
	if len(guns) == 0 {
		t.Fatalf("A has no Guns at turn 8: %+v", s.Races[0].Groups)
	}
	orders(0, guns...)
	for !state().Finished && turn < 40 {
		next()
	}

	s = state()
	v := a.game(g.ID)
	if !s.Finished || v.Runtime.Status != orchestrator.StatusFinished || v.Runtime.CurrentTurn != s.Turn {
		t.Fatalf("after turn %d: engine finished %v, runtime %s at turn %d", s.Turn, s.Finished, v.Runtime.Status, v.Runtime.CurrentTurn)
	}
	want := []uuid.UUID{s.Races[0].ID, s.Races[2].ID, s.Races[3].ID}
	if len(s.Winners) != 3 || s.Winners[0] != want[0] || s.Winners[1] != want[1] || s.Winners[2] != want[2] || !s.Races[1].Extinct {
		t.Fatalf("winners %v (R2 out: %v), want the alliance of R1, R3 and R4", s.Winners, s.Races[1].Extinct)
	}
	if owner := s.Planets[homeB-1].Owner; owner != s.Races[0].ID {
		t.Fatalf("R2's home is owned by %s, want R1 (the conquest)", owner)
	}
	// A player reads the end of the game in GalaxyNG's text report.
	code, body := a.do("GET", path+"/report?format=text", users[0], nil)
	if code != 200 || !containsAll(string(body), "Winners: R1, R3, R4", "Bombings") {
		t.Fatalf("R1's last report: %d\n%.600s", code, body)
	}
	// Orders on a finished game say so.
	if code, body := a.do("POST", path+"/orders", users[0], map[string]any{"turn": turn, "orders": []any{}}); code != 409 || !containsAll(string(body), orchestrator.EGAMEFINISHED) {
		t.Fatalf("orders after the end: %d %s, want 409 %s", code, body, orchestrator.EGAMEFINISHED)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
