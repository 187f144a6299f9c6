package game

import (
	"slices"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// Report is what one race learns at a turn (GalaxyNG's turn report, as JSON). Every
// figure is rounded to 2 decimals for display (the state keeps them exact). Planets
// are the race's own, in full; Others every other planet by number and position only;
// AlienPlanets the other races' planets the race sees (it has ships there), in full;
// Unidentified the others' planets it does not see; Uninhabited the unowned planets
// (size and stockpiles only where it has ships). Groups are its own (each with its
// fleet, if any), AlienGroups the others' groups orbiting planets it sees, Incoming the
// others' groups flying towards its planets. Battles and Bombings are those of the
// turn it took part in or saw. Status lists every race, with the reporting race's
// stance towards it.
type Report struct {
	GameID       uuid.UUID          `json:"gameId"`
	Turn         int                `json:"turn"`
	Finished     bool               `json:"finished"`
	Winners      []string           `json:"winners,omitempty"`
	Race         RaceReport         `json:"race"`
	Size         float64            `json:"size"`
	Planets      []PlanetReport     `json:"planets"`
	Others       []PlanetSight      `json:"otherPlanets"`
	Races        []string           `json:"races"`
	Status       []RaceStatus       `json:"status"`
	Messages     []MessageSight     `json:"messages"`
	Rejected     []Rejection        `json:"rejectedOrders"`
	Designs      []DesignReport     `json:"designs"`
	AlienDesigns []RaceDesigns      `json:"alienDesigns"`
	Groups       []GroupReport      `json:"groups"`
	Fleets       []FleetReport      `json:"fleets"`
	Battles      []BattleReport     `json:"battles"`
	Bombings     []BombingReport    `json:"bombings"`
	Incoming     []IncomingReport   `json:"incoming"`
	AlienPlanets []PlanetReport     `json:"alienPlanets"`
	Unidentified []NamedSight       `json:"unidentifiedPlanets"`
	Uninhabited  []UninhabitedSight `json:"uninhabitedPlanets"`
	AlienGroups  []AlienGroupReport `json:"alienGroups"`
}

// RaceReport is the reporting race's own figures.
type RaceReport struct {
	ID         uuid.UUID   `json:"id"`
	Name       string      `json:"name"`
	Home       int         `json:"home"`
	Tech       engine.Tech `json:"tech"`
	Population float64     `json:"population"`
	Industry   float64     `json:"industry"`
	Out        bool        `json:"out,omitempty"`
}

// RaceStatus is one race in the status table: its tech, totals, and Stance — "war" or
// "peace" as the reporting race declared towards it ("" for itself).
type RaceStatus struct {
	Name       string      `json:"name"`
	Tech       engine.Tech `json:"tech"`
	Population float64     `json:"population"`
	Industry   float64     `json:"industry"`
	Planets    int         `json:"planets"`
	Stance     string      `json:"stance,omitempty"`
	Out        bool        `json:"out,omitempty"`
}

// PlanetReport is a planet seen in full. Production is what it produces per turn
// (0.75 × industry + 0.25 × population); Owner is the owner's race name.
type PlanetReport struct {
	Number     int     `json:"number"`
	Name       string  `json:"name"`
	X          float64 `json:"x"`
	Y          float64 `json:"y"`
	Size       float64 `json:"size"`
	Resources  float64 `json:"resources"`
	Owner      string  `json:"owner"`
	Producing  Product `json:"producing,omitempty"`
	Ship       string  `json:"ship,omitempty"`
	Progress   float64 `json:"progress,omitempty"`
	Pop        float64 `json:"pop"`
	Ind        float64 `json:"ind"`
	Cap        float64 `json:"cap"`
	Mat        float64 `json:"mat"`
	Col        float64 `json:"col"`
	Production float64 `json:"production"`
	Routes     *Routes `json:"routes,omitempty"`
}

// PlanetSight is a planet seen from afar: where it is, nothing of what is on it.
type PlanetSight struct {
	Number int     `json:"number"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
}

// NamedSight is a planet seen from afar, with its name.
type NamedSight struct {
	Number int     `json:"number"`
	Name   string  `json:"name"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
}

// UninhabitedSight is an unowned planet: its size, resources and stockpiles only when
// the race has ships there.
type UninhabitedSight struct {
	NamedSight
	Size      *float64 `json:"size,omitempty"`
	Resources *float64 `json:"resources,omitempty"`
	Pop       *float64 `json:"pop,omitempty"`
	Cap       *float64 `json:"cap,omitempty"`
	Mat       *float64 `json:"mat,omitempty"`
}

// DesignReport is a ship type with its mass, its speed (drive tech 1, no cargo) and
// its defence (shields tech 1), as GalaxyNG lists them.
type DesignReport struct {
	ShipDesign
	Mass    float64 `json:"mass"`
	Speed   float64 `json:"speed"`
	Defence float64 `json:"defence"`
}

// RaceDesigns are the ship types of another race the reporting race saw this turn.
type RaceDesigns struct {
	Race    string         `json:"race"`
	Designs []DesignReport `json:"designs"`
}

// GroupReport is one of the race's groups: where it is (Planet, with Dist 0) or where
// it flies (Planet, Dist ly away, from From), its speed and the mass of one ship.
type GroupReport struct {
	Number int         `json:"number"`
	Ships  int         `json:"ships"`
	Design string      `json:"design"`
	Tech   engine.Tech `json:"tech"`
	Cargo  Cargo       `json:"cargo,omitempty"`
	Load   float64     `json:"load,omitempty"`
	Planet int         `json:"planet"`
	Dist   float64     `json:"dist,omitempty"`
	From   int         `json:"from,omitempty"`
	Fleet  string      `json:"fleet,omitempty"`
	Speed  float64     `json:"speed"`
	Mass   float64     `json:"mass"`
}

// FleetReport is one of the race's fleets: its speed and its groups' numbers.
type FleetReport struct {
	Name   string  `json:"name"`
	Speed  float64 `json:"speed"`
	Groups []int   `json:"groups"`
}

// AlienGroupReport is another race's group orbiting a planet the race sees.
type AlienGroupReport struct {
	Race   string      `json:"race"`
	Ships  int         `json:"ships"`
	Design string      `json:"design"`
	Tech   engine.Tech `json:"tech"`
	Cargo  Cargo       `json:"cargo,omitempty"`
	Load   float64     `json:"load,omitempty"`
	Planet int         `json:"planet"`
}

// IncomingReport is other races' ships flying towards one of the race's planets:
// groups with the same origin, destination, distance and speed (a fleet) are one entry,
// Mass their total mass.
type IncomingReport struct {
	From  int     `json:"from"`
	To    int     `json:"to"`
	Dist  float64 `json:"dist"`
	Speed float64 `json:"speed"`
	Mass  float64 `json:"mass"`
}

// BattleReport is a battle the race took part in or whose planet it owns.
type BattleReport struct {
	Planet     int                 `json:"planet"`
	PlanetName string              `json:"planetName"`
	Phase      int                 `json:"phase"`
	Rounds     int                 `json:"rounds"`
	Shots      int                 `json:"shots"`
	Standoff   bool                `json:"standoff,omitempty"`
	Groups     []BattleGroupReport `json:"groups"`
}

// BattleGroupReport is one group in a battle: Ships before, Left after.
type BattleGroupReport struct {
	Race   string      `json:"race"`
	Design string      `json:"design"`
	Tech   engine.Tech `json:"tech"`
	Cargo  Cargo       `json:"cargo,omitempty"`
	Load   float64     `json:"load,omitempty"`
	Ships  int         `json:"ships"`
	Left   int         `json:"left"`
}

// BombingReport is a bombing the race did, suffered or saw: by whom, the owner before
// and after ("" for nobody), and what the planet had before it.
type BombingReport struct {
	Planet    int     `json:"planet"`
	Name      string  `json:"name"`
	By        string  `json:"by"`
	Owner     string  `json:"owner"`
	NewOwner  string  `json:"newOwner"`
	Pop       float64 `json:"pop"`
	Ind       float64 `json:"ind"`
	Producing string  `json:"producing"`
	Cap       float64 `json:"cap"`
	Mat       float64 `json:"mat"`
	Col       float64 `json:"col"`
}

// MessageSight is a message as its recipient reads it.
type MessageSight struct {
	From      string `json:"from"`
	Broadcast bool   `json:"broadcast"`
	Text      string `json:"text"`
}

// HasRace reports whether actor is a race of the game.
func (g *Game) HasRace(actor uuid.UUID) bool { return g.race(actor) != nil }

// Report returns race actor's report of the game's current turn. Errors: Forbidden for
// an actor who is not a race of the game. Reports of earlier turns come from the
// states of those turns (the server keeps them).
func (g *Game) Report(actor uuid.UUID) (*Report, error) {
	r := g.race(actor)
	if r == nil {
		return nil, errorf(Forbidden, "actor %s is not a race of this game", actor)
	}
	rep := &Report{
		GameID: g.ID, Turn: g.Turn, Finished: g.Finished, Size: g.Size,
		Race:         RaceReport{ID: r.ID, Name: r.Name, Home: r.Home, Tech: roundTech(r.Tech), Out: r.Extinct},
		Planets:      []PlanetReport{},
		Others:       []PlanetSight{},
		Races:        make([]string, 0, len(g.Races)),
		Messages:     []MessageSight{},
		Rejected:     r.Rejected,
		Designs:      []DesignReport{},
		AlienDesigns: []RaceDesigns{},
		Groups:       []GroupReport{},
		Fleets:       []FleetReport{},
		Battles:      []BattleReport{},
		Bombings:     []BombingReport{},
		Incoming:     []IncomingReport{},
		AlienPlanets: []PlanetReport{},
		Unidentified: []NamedSight{},
		Uninhabited:  []UninhabitedSight{},
		AlienGroups:  []AlienGroupReport{},
	}
	if rep.Rejected == nil {
		rep.Rejected = []Rejection{}
	}
	for _, w := range g.Winners {
		rep.Winners = append(rep.Winners, g.raceName(w))
	}
	visible := map[int]bool{}
	for _, gr := range r.Groups {
		if gr.Dist == 0 {
			visible[gr.Planet] = true
		}
	}
	for _, p := range g.Planets {
		switch {
		case p.Owner == r.ID:
			rep.Planets = append(rep.Planets, g.planetReport(p, true))
			rep.Race.Population += p.Pop
			rep.Race.Industry += p.Ind
			visible[p.Number] = true
		case p.Owned() && visible[p.Number]:
			rep.AlienPlanets = append(rep.AlienPlanets, g.planetReport(p, false))
		case p.Owned():
			rep.Unidentified = append(rep.Unidentified, NamedSight{p.Number, p.Name, p.X, p.Y})
		default:
			u := UninhabitedSight{NamedSight: NamedSight{p.Number, p.Name, p.X, p.Y}}
			if visible[p.Number] {
				u.Size, u.Resources, u.Pop, u.Cap, u.Mat = ptr(p.Size), ptr(p.Resources), ptr(p.Pop), ptr(p.Cap), ptr(p.Mat)
			}
			rep.Uninhabited = append(rep.Uninhabited, u)
		}
		if p.Owner != r.ID {
			rep.Others = append(rep.Others, PlanetSight{Number: p.Number, X: p.X, Y: p.Y})
		}
	}
	rep.Race.Population, rep.Race.Industry = round2(rep.Race.Population), round2(rep.Race.Industry)
	for _, o := range g.Races {
		rep.Races = append(rep.Races, o.Name)
		rep.Status = append(rep.Status, g.raceStatus(r, o))
	}
	for _, d := range r.Designs {
		rep.Designs = append(rep.Designs, designReport(d))
	}
	g.ownGroups(r, rep)
	seen := map[*Race]map[string]bool{}
	see := func(o *Race, design string) {
		if seen[o] == nil {
			seen[o] = map[string]bool{}
		}
		seen[o][design] = true
	}
	for _, o := range g.Races {
		if o == r {
			continue
		}
		for _, gr := range o.Groups {
			d := o.design(gr.Design)
			switch {
			case d == nil:
			case gr.Dist == 0 && visible[gr.Planet]:
				rep.AlienGroups = append(rep.AlienGroups, AlienGroupReport{Race: o.Name, Ships: gr.Ships, Design: gr.Design,
					Tech: roundTech(gr.Tech), Cargo: gr.Cargo, Load: round2(gr.Load), Planet: gr.Planet})
				see(o, gr.Design)
			case gr.Dist > 0 && g.Planets[gr.Planet-1].Owner == r.ID:
				rep.addIncoming(IncomingReport{From: gr.From, To: gr.Planet, Dist: round2(gr.Dist), Speed: round2(o.groupSpeed(gr, d)),
					Mass: float64(gr.Ships) * ShipMass(d, gr)})
			}
		}
	}
	for i := range rep.Incoming {
		rep.Incoming[i].Mass = round2(rep.Incoming[i].Mass)
	}
	g.battleReports(r, rep, see)
	g.bombingReports(r, rep)
	for _, o := range g.Races {
		if names := seen[o]; o != r && len(names) > 0 {
			rd := RaceDesigns{Race: o.Name}
			for _, d := range o.Designs {
				if names[d.Name] {
					rd.Designs = append(rd.Designs, designReport(d))
				}
			}
			rep.AlienDesigns = append(rep.AlienDesigns, rd)
		}
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

// planetReport is p rounded for display; own adds its routes.
func (g *Game) planetReport(p *Planet, own bool) PlanetReport {
	pr := PlanetReport{Number: p.Number, Name: p.Name, X: p.X, Y: p.Y, Size: round2(p.Size), Resources: round2(p.Resources),
		Owner: g.raceName(p.Owner), Producing: p.Producing, Ship: p.Ship, Progress: round2(p.Progress),
		Pop: round2(p.Pop), Ind: round2(p.Ind), Cap: round2(p.Cap), Mat: round2(p.Mat), Col: round2(p.Col),
		Production: round2(Production(p))}
	if own && p.Routes != (Routes{}) {
		rt := p.Routes
		pr.Routes = &rt
	}
	return pr
}

// raceStatus is race o as r sees it in the status table.
func (g *Game) raceStatus(r, o *Race) RaceStatus {
	st := RaceStatus{Name: o.Name, Tech: roundTech(o.Tech), Out: o.Extinct}
	for _, p := range g.Planets {
		if p.Owner == o.ID {
			st.Population += p.Pop
			st.Industry += p.Ind
			st.Planets++
		}
	}
	st.Population, st.Industry = round2(st.Population), round2(st.Industry)
	switch {
	case o == r:
	case r.AtWar(o):
		st.Stance = "war"
	default:
		st.Stance = "peace"
	}
	return st
}

// ownGroups adds r's groups and fleets.
func (g *Game) ownGroups(r *Race, rep *Report) {
	for _, gr := range r.Groups {
		d := r.design(gr.Design)
		if d == nil {
			continue
		}
		gp := GroupReport{Number: gr.Number, Ships: gr.Ships, Design: gr.Design, Tech: roundTech(gr.Tech), Cargo: gr.Cargo,
			Load: round2(gr.Load), Planet: gr.Planet, Fleet: gr.Fleet, Speed: round2(r.groupSpeed(gr, d)), Mass: round2(ShipMass(d, gr))}
		if gr.Dist > 0 {
			gp.Dist, gp.From = round2(gr.Dist), gr.From
		}
		rep.Groups = append(rep.Groups, gp)
	}
	for i := range r.Fleets {
		f := &r.Fleets[i]
		fr := FleetReport{Name: f.Name, Speed: round2(r.FleetSpeed(f)), Groups: []int{}}
		for _, gr := range r.fleetGroups(f) {
			fr.Groups = append(fr.Groups, gr.Number)
		}
		rep.Fleets = append(rep.Fleets, fr)
	}
}

// groupSpeed is how fast gr flies: its fleet's speed when in one.
func (r *Race) groupSpeed(gr *Group, d *ShipDesign) float64 {
	if f := r.fleet(gr.Fleet); f != nil {
		return r.FleetSpeed(f)
	}
	return Speed(d, gr)
}

// addIncoming adds in, merged with an entry of the same course and speed.
func (rep *Report) addIncoming(in IncomingReport) {
	for i, x := range rep.Incoming {
		if x.From == in.From && x.To == in.To && x.Dist == in.Dist && x.Speed == in.Speed {
			rep.Incoming[i].Mass += in.Mass
			return
		}
	}
	rep.Incoming = append(rep.Incoming, in)
}

// battleReports adds the battles r fought in or that were fought at its planets, and
// records the other races' ship types it saw there.
func (g *Game) battleReports(r *Race, rep *Report, see func(*Race, string)) {
	for _, b := range g.Battles {
		in := g.Planets[b.Planet-1].Owner == r.ID
		for _, bg := range b.Groups {
			in = in || bg.Race == r.ID
		}
		if !in {
			continue
		}
		br := BattleReport{Planet: b.Planet, PlanetName: g.Planets[b.Planet-1].Name, Phase: b.Phase, Rounds: b.Rounds, Shots: b.Shots, Standoff: b.Standoff}
		for _, bg := range b.Groups {
			br.Groups = append(br.Groups, BattleGroupReport{Race: g.raceName(bg.Race), Design: bg.Design, Tech: roundTech(bg.Tech),
				Cargo: bg.Cargo, Load: round2(bg.Load), Ships: bg.Ships, Left: bg.Left})
			if o := g.race(bg.Race); o != nil && o != r {
				see(o, bg.Design)
			}
		}
		rep.Battles = append(rep.Battles, br)
	}
}

// bombingReports adds the bombings r did, suffered, gained from or saw.
func (g *Game) bombingReports(r *Race, rep *Report) {
	for _, b := range g.Bombings {
		if b.By != r.ID && b.Owner != r.ID && b.NewOwner != r.ID && !slices.Contains(b.Viewers, r.ID) {
			continue
		}
		rep.Bombings = append(rep.Bombings, BombingReport{Planet: b.Planet, Name: b.Name, By: g.raceName(b.By), Owner: g.raceName(b.Owner),
			NewOwner: g.raceName(b.NewOwner), Pop: round2(b.Pop), Ind: round2(b.Ind), Producing: b.Producing,
			Cap: round2(b.Cap), Mat: round2(b.Mat), Col: round2(b.Col)})
	}
}

// designReport is d with its derived figures at tech 1, rounded.
func designReport(d ShipDesign) DesignReport {
	g := &Group{Tech: engine.Tech{Drive: 1, Weapons: 1, Shields: 1, Cargo: 1}}
	return DesignReport{ShipDesign: ShipDesign{Name: d.Name, Drive: round2(d.Drive), Attacks: d.Attacks, Weapons: round2(d.Weapons),
		Shields: round2(d.Shields), Cargo: round2(d.Cargo)}, Mass: round2(d.Mass()), Speed: round2(Speed(&d, g)), Defence: round2(Defence(&d, g))}
}

// raceName names the race with id ("" for nobody).
func (g *Game) raceName(id uuid.UUID) string {
	if r := g.race(id); r != nil {
		return r.Name
	}
	return ""
}

func ptr(x float64) *float64 { x = round2(x); return &x }
