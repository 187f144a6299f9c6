// Package game holds the rules of the reference engine, after GalaxyNG (create.c,
// phase.c): galaxy creation, orders, production, population growth, reports and
// commands. It does no I/O: the server loads a Game from state.json, calls a method and
// saves it. Every method is deterministic given the Game (random numbers come only
// from Seed, at creation), so a replayed turn gives the same result.
package game

import (
	"fmt"
	"math"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// SchemaVersion is the version of the Game's JSON shape; Load refuses other versions
// rather than misreading them.
const SchemaVersion = 1

// MaxRaces bounds the races of one game, so that a bad init cannot make the engine
// build a galaxy that does not fit in memory.
const MaxRaces = 500

// Game is the whole state of one game, as kept in state.json. Turn is the current
// turn: 0 after creation, incremented by Generate. The open turn — the one whose orders
// are accepted — is always Turn; its orders are applied when turn Turn+1 is generated.
// Finished is set when MaxTurns (0: no limit) turns have been generated.
type Game struct {
	Version  int       `json:"version"`
	ID       uuid.UUID `json:"gameId"`
	Seed     uint64    `json:"seed"`
	MaxTurns int       `json:"maxTurns,omitempty"`
	Turn     int       `json:"turn"`
	Finished bool      `json:"finished"`
	Size     float64   `json:"size"` // side of the square galaxy, light years
	Races    []*Race   `json:"races"`
	Planets  []*Planet `json:"planets"` // Planets[i].Number == i+1
	Messages []Message `json:"messages,omitempty"`
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
	g := &Game{Version: SchemaVersion, ID: id, Seed: s.Seed, MaxTurns: s.MaxTurns}
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
	}
	for _, r := range g.Races {
		if r == nil || r.ID == uuid.Nil {
			return fmt.Errorf("a race has no id")
		}
	}
	return nil
}

// State summarises the game as admin routes answer it: per race (in creation order)
// the number of planets, total population and industry, and tech levels.
func (g *Game) State() *engine.State {
	st := &engine.State{GameID: g.ID, Turn: g.Turn, Finished: g.Finished, Players: make([]engine.PlayerSummary, 0, len(g.Races))}
	idx := make(map[uuid.UUID]int, len(g.Races))
	for i, r := range g.Races {
		idx[r.ID] = i
		st.Players = append(st.Players, engine.PlayerSummary{ID: r.ID, RaceName: r.Name, Tech: r.Tech})
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
