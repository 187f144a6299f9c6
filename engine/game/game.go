// Package game holds the rules of the reference engine, after GalaxyNG (its manual,
// release 5.1a, and its source: create.c, process.c, phase.c, battle.c): galaxy
// creation, orders, ship design and production, groups and fleets, cargo and routes,
// movement, battles, bombing, victory, reports and commands. It does no I/O: the server
// loads a Game from state.json, calls a method and saves it. Every method is
// deterministic given the Game: random numbers come only from Seed (the galaxy) and
// from Seed and the turn number (each turn's draws), so a replayed turn gives the same
// result.
package game

import (
	"fmt"
	"math"
	"slices"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// SchemaVersion is the version of the Game's JSON shape. Decode migrates older versions
// (1: the engine before ships, which has the same fields minus the new ones) and
// refuses newer ones rather than misreading them.
const SchemaVersion = 2

// MaxRaces bounds the races of one game, so that a bad init cannot make the engine
// build a galaxy that does not fit in memory.
const MaxRaces = 500

// Game is the whole state of one game, as kept in state.json. Turn is the current
// turn: 0 after creation, incremented by Generate. The open turn — the one whose orders
// are accepted — is always Turn; its orders are applied when turn Turn+1 is generated.
// Finished is set when one race (or, with AllianceVictory, one alliance) is left or
// MaxTurns (0: no limit) turns have been generated; Winners then names the winners.
// Battles and Bombings are those of the last generated turn, for its reports.
type Game struct {
	Version         int         `json:"version"`
	ID              uuid.UUID   `json:"gameId"`
	Seed            uint64      `json:"seed"`
	MaxTurns        int         `json:"maxTurns,omitempty"`
	AllianceVictory bool        `json:"allianceVictory,omitempty"`
	Turn            int         `json:"turn"`
	Finished        bool        `json:"finished"`
	Winners         []uuid.UUID `json:"winners,omitempty"`
	Size            float64     `json:"size"` // side of the square galaxy, light years
	Races           []*Race     `json:"races"`
	Planets         []*Planet   `json:"planets"` // Planets[i].Number == i+1
	Messages        []Message   `json:"messages,omitempty"`
	Battles         []Battle    `json:"battles,omitempty"`
	Bombings        []Bombing   `json:"bombings,omitempty"`
}

// New creates the game id for races: it validates them (at least one; names valid and
// unique ignoring case; player ids non-zero and unique) and builds the galaxy from
// s.Seed. The caller picks a random seed when s.HasSeed is false. Errors are Invalid,
// with one detail per bad race (Index is the race's position).
func New(id uuid.UUID, races []engine.Race, s Settings) (*Game, error) {
	if id == uuid.Nil {
		return nil, errorf(Invalid, "gameId must be a non-zero UUID")
	}
	if len(races) == 0 {
		return nil, errorf(Invalid, "races must not be empty")
	}
	if len(races) > MaxRaces {
		return nil, errorf(Invalid, "at most %d races", MaxRaces)
	}
	var details []engine.FieldError
	names := map[string]bool{}
	ids := map[uuid.UUID]bool{}
	for i, r := range races {
		if why := validName(r.RaceName); why != "" {
			details = append(details, engine.FieldError{Index: i, Field: "raceName", Message: why})
		} else if key := engine.FoldName(r.RaceName); names[key] {
			details = append(details, engine.FieldError{Index: i, Field: "raceName", Message: fmt.Sprintf("race name %q appears twice", r.RaceName)})
		} else {
			names[key] = true
		}
		switch {
		case r.PlayerID == uuid.Nil:
			details = append(details, engine.FieldError{Index: i, Field: "playerId", Message: "playerId must be a non-zero UUID"})
		case ids[r.PlayerID]:
			details = append(details, engine.FieldError{Index: i, Field: "playerId", Message: "playerId appears twice"})
		default:
			ids[r.PlayerID] = true
		}
	}
	if len(details) > 0 {
		return nil, &Error{Kind: Invalid, Message: "invalid races", Details: details}
	}
	g := &Game{Version: SchemaVersion, ID: id, Seed: s.Seed, MaxTurns: s.MaxTurns, AllianceVictory: s.AllianceVictory}
	for _, r := range races {
		g.Races = append(g.Races, &Race{ID: r.PlayerID, Name: r.RaceName, Tech: engine.Tech{Drive: 1, Weapons: 1, Shields: 1, Cargo: 1}})
	}
	g.createGalaxy()
	return g, nil
}

// Check verifies the invariants a loaded Game must hold, so that a hand-edited or
// truncated state.json is refused at start instead of crashing a later turn.
func (g *Game) Check() error {
	switch {
	case g.Version != SchemaVersion:
		return fmt.Errorf("state version %d, this engine reads version %d", g.Version, SchemaVersion)
	case g.ID == uuid.Nil:
		return fmt.Errorf("state has no gameId")
	case len(g.Races) == 0:
		return fmt.Errorf("state has no races")
	case len(g.Races) > MaxRaces:
		return fmt.Errorf("state has more than %d races", MaxRaces)
	case g.Turn < 0:
		return fmt.Errorf("state has a negative turn")
	}
	for i, p := range g.Planets {
		if p == nil || p.Number != i+1 {
			return fmt.Errorf("planet %d is missing or misnumbered", i+1)
		}
		if p.Owned() && g.race(p.Owner) == nil {
			return fmt.Errorf("planet %d is owned by an unknown race", p.Number)
		}
		for _, to := range []int{p.Routes.COL, p.Routes.CAP, p.Routes.MAT, p.Routes.EMP} {
			if to < 0 || to > len(g.Planets) {
				return fmt.Errorf("planet %d has a route to an unknown planet", p.Number)
			}
		}
		if p.Producing == SHIP && (!p.Owned() || g.race(p.Owner).design(p.Ship) == nil) {
			return fmt.Errorf("planet %d builds an unknown ship type", p.Number)
		}
	}
	seen := map[uuid.UUID]bool{}
	for _, r := range g.Races {
		if r == nil || r.ID == uuid.Nil || seen[r.ID] {
			return fmt.Errorf("a race has no id or a duplicate one")
		}
		seen[r.ID] = true
		if err := g.checkRace(r); err != nil {
			return fmt.Errorf("race %s: %w", r.Name, err)
		}
	}
	return nil
}

// checkRace verifies a race's designs, groups and fleets.
func (g *Game) checkRace(r *Race) error {
	numbers := map[int]bool{}
	for _, gr := range r.Groups {
		switch {
		case gr == nil || gr.Ships < 1 || numbers[gr.Number] || gr.Number < 1:
			return fmt.Errorf("a group is empty or misnumbered")
		case r.design(gr.Design) == nil:
			return fmt.Errorf("group %d has an unknown ship type", gr.Number)
		case gr.Planet < 1 || gr.Planet > len(g.Planets) || gr.From < 1 || gr.From > len(g.Planets):
			return fmt.Errorf("group %d is at an unknown planet", gr.Number)
		case gr.Dist < 0 || math.IsNaN(gr.Dist) || gr.Load < 0 || math.IsNaN(gr.Load):
			return fmt.Errorf("group %d has a negative distance or load", gr.Number)
		case gr.Fleet != "" && r.fleet(gr.Fleet) == nil:
			return fmt.Errorf("group %d is in an unknown fleet", gr.Number)
		}
		numbers[gr.Number] = true
	}
	return nil
}

// State summarises the game as admin routes answer it: per race (in creation order)
// the number of planets, total population and industry, and tech levels.
func (g *Game) State() *engine.State {
	st := &engine.State{GameID: g.ID, Turn: g.Turn, Finished: g.Finished, Players: make([]engine.PlayerSummary, 0, len(g.Races)),
		Winners: slices.Clone(g.Winners)}
	idx := make(map[uuid.UUID]int, len(g.Races))
	for i, r := range g.Races {
		idx[r.ID] = i
		ships := 0
		for _, gr := range r.Groups {
			ships += gr.Ships
		}
		st.Players = append(st.Players, engine.PlayerSummary{ID: r.ID, RaceName: r.Name, Tech: roundTech(r.Tech), Ships: ships, Out: r.Extinct})
	}
	for _, p := range g.Planets {
		if !p.Owned() {
			continue
		}
		ps := &st.Players[idx[p.Owner]]
		ps.Planets++
		ps.Population += p.Pop
		ps.Industry += p.Ind
	}
	for i := range st.Players {
		st.Players[i].Population = round2(st.Players[i].Population)
		st.Players[i].Industry = round2(st.Players[i].Industry)
	}
	return st
}

// round2 rounds to two decimals, as GalaxyNG reports figures.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// roundTech rounds tech levels for display.
func roundTech(t engine.Tech) engine.Tech {
	return engine.Tech{Drive: round2(t.Drive), Weapons: round2(t.Weapons), Shields: round2(t.Shields), Cargo: round2(t.Cargo)}
}
