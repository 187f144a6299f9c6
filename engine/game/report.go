package game

import (
	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// Report is what one race learns at a turn: its own planets in full, every other
// planet by number and position only, the races by name, the messages sent to it
// during the previous turn, and its orders that could not be applied.
type Report struct {
	GameID   uuid.UUID      `json:"gameId"`
	Turn     int            `json:"turn"`
	Finished bool           `json:"finished"`
	Race     RaceReport     `json:"race"`
	Size     float64        `json:"size"`
	Planets  []*Planet      `json:"planets"`
	Others   []PlanetSight  `json:"otherPlanets"`
	Races    []string       `json:"races"`
	Messages []MessageSight `json:"messages"`
	Rejected []Rejection    `json:"rejectedOrders"`
}

// RaceReport is the reporting race's own figures.
type RaceReport struct {
	ID         uuid.UUID   `json:"id"`
	Name       string      `json:"name"`
	Home       int         `json:"home"`
	Tech       engine.Tech `json:"tech"`
	Population float64     `json:"population"`
	Industry   float64     `json:"industry"`
}

// PlanetSight is a planet seen from afar: where it is, nothing of what is on it.
type PlanetSight struct {
	Number int     `json:"number"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
}

// MessageSight is a message as its recipient reads it.
type MessageSight struct {
	From      string `json:"from"`
	Broadcast bool   `json:"broadcast"`
	Text      string `json:"text"`
}

// Report returns race actor's report of the game's current turn. Errors: Forbidden for
// an actor who is not a race of the game. Reports of earlier turns come from the
// snapshots of those turns (the server keeps them).
func (g *Game) Report(actor uuid.UUID) (*Report, error) {
	r := g.race(actor)
	if r == nil {
		return nil, errorf(Forbidden, "actor %s is not a race of this game", actor)
	}
	rep := &Report{
		GameID: g.ID, Turn: g.Turn, Finished: g.Finished, Size: g.Size,
		Race:     RaceReport{ID: r.ID, Name: r.Name, Home: r.Home, Tech: r.Tech},
		Planets:  []*Planet{},
		Others:   []PlanetSight{},
		Races:    make([]string, 0, len(g.Races)),
		Messages: []MessageSight{},
		Rejected: r.Rejected,
	}
	if rep.Rejected == nil {
		rep.Rejected = []Rejection{}
	}
	for _, p := range g.Planets {
		if p.Owner == r.ID {
			cp := *p
			rep.Planets = append(rep.Planets, &cp)
			rep.Race.Population += p.Pop
			rep.Race.Industry += p.Ind
		} else {
			rep.Others = append(rep.Others, PlanetSight{Number: p.Number, X: p.X, Y: p.Y})
		}
	}
	rep.Race.Population, rep.Race.Industry = round2(rep.Race.Population), round2(rep.Race.Industry)
	for _, o := range g.Races {
		rep.Races = append(rep.Races, o.Name)
	}
	for _, m := range g.Messages {
		if m.Turn != g.Turn-1 || (m.To != uuid.Nil && m.To != r.ID) {
			continue
		}
		from := "?"
		if s := g.race(m.From); s != nil {
			from = s.Name
		}
		rep.Messages = append(rep.Messages, MessageSight{From: from, Broadcast: m.To == uuid.Nil, Text: m.Text})
	}
	return rep, nil
}
