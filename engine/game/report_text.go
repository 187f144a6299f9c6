package game

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text renders the report as plain text in the layout of GalaxyNG's turn report: the
// same sections, in the same order, with the same column letters (the manual's "Turn
// Report" chapter explains them), numbers to 2 decimals. Sections without content are
// left out, as GalaxyNG does. It is built from the JSON report alone, so both always
// say the same.
func (rep *Report) Text() string {
	var b strings.Builder
	names := map[int]string{}
	for _, p := range rep.Planets {
		names[p.Number] = p.Name
	}
	for _, p := range rep.AlienPlanets {
		names[p.Number] = p.Name
	}
	for _, p := range rep.Unidentified {
		names[p.Number] = p.Name
	}
	for _, p := range rep.Uninhabited {
		names[p.Number] = p.Name
	}
	planet := func(n int) string {
		if s, ok := names[n]; ok {
			return s
		}
		return strconv.Itoa(n)
	}

	fmt.Fprintf(&b, "\t\tGalaxy Game %s Turn %d Report for %s\n\n", rep.GameID, rep.Turn, rep.Race.Name)
	if rep.Finished {
		if len(rep.Winners) > 0 {
			fmt.Fprintf(&b, "The game has finished. Winners: %s\n\n", strings.Join(rep.Winners, ", "))
		} else {
			fmt.Fprintf(&b, "The game has finished without a winner.\n\n")
		}
	}
	if rep.Race.Out {
		fmt.Fprintf(&b, "Your race is out of the game.\n\n")
	}
	var global, personal []MessageSight
	for _, m := range rep.Messages {
		if m.Broadcast {
			global = append(global, m)
		} else {
			personal = append(personal, m)
		}
	}
	messages := func(title string, ms []MessageSight) {
		if len(ms) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n\n", title)
		for _, m := range ms {
			fmt.Fprintf(&b, "-message starts- (from %s)\n%s\n-message ends-\n", m.From, m.Text)
		}
	}
	messages("GLOBAL Messages", global)
	messages("PERSONAL Messages for "+rep.Race.Name, personal)
	if len(rep.Rejected) > 0 {
		fmt.Fprintf(&b, "\nMISTAKES\n\n")
		for _, m := range rep.Rejected {
			fmt.Fprintf(&b, "%s\n%s.\n", m.Order.Type, m.Reason)
		}
	}

	section(&b, "Status of Players", "N D W S C P I # R", "lrrrrrrrl", len(rep.Status), func(i int) []string {
		s := rep.Status[i]
		stance := "-"
		switch s.Stance {
		case "war":
			stance = "War"
		case "peace":
			stance = "Peace"
		}
		if s.Out {
			stance += " (out)"
		}
		return []string{s.Name, f2(s.Tech.Drive), f2(s.Tech.Weapons), f2(s.Tech.Shields), f2(s.Tech.Cargo), f2(s.Population), f2(s.Industry), strconv.Itoa(s.Planets), stance}
	})
	designs := func(title string, ds []DesignReport) {
		section(&b, title, "N D A W S C Mass Speed Def", "lrrrrrrrr", len(ds), func(i int) []string {
			d := ds[i]
			return []string{d.Name, f2(d.Drive), strconv.Itoa(d.Attacks), f2(d.Weapons), f2(d.Shields), f2(d.Cargo), f2(d.Mass), f2(d.Speed), f2(d.Defence)}
		})
	}
	designs("Your Ship Types", rep.Designs)
	for _, rd := range rep.AlienDesigns {
		designs(rd.Race+" Ship Types", rd.Designs)
	}
	for _, bt := range rep.Battles {
		fmt.Fprintf(&b, "\n\t\tBattle at %s\n", bt.PlanetName)
		if bt.Standoff {
			fmt.Fprintf(&b, "\t\t(a standoff)\n")
		}
		var races []string
		for _, g := range bt.Groups {
			if len(races) == 0 || races[len(races)-1] != g.Race {
				races = append(races, g.Race)
			}
		}
		for _, race := range races {
			var gs []BattleGroupReport
			for _, g := range bt.Groups {
				if g.Race == race {
					gs = append(gs, g)
				}
			}
			title := race + " Groups"
			if race == rep.Race.Name {
				title = "Your Groups"
			}
			section(&b, title, "# T D W S C T Q L", "rlrrrrlrr", len(gs), func(i int) []string {
				g := gs[i]
				return []string{strconv.Itoa(g.Ships), g.Design, f2(g.Tech.Drive), f2(g.Tech.Weapons), f2(g.Tech.Shields), f2(g.Tech.Cargo), cargo(g.Cargo), f2(g.Load), strconv.Itoa(g.Left)}
			})
		}
	}
	section(&b, "Bombings", "W O N P I P $ M C", "lllrrlrrr", len(rep.Bombings), func(i int) []string {
		x := rep.Bombings[i]
		w := orNobody(x.NewOwner)
		if x.By != x.NewOwner {
			w += " (bombed by " + x.By + ")"
		}
		return []string{w, x.Owner, x.Name, f2(x.Pop), f2(x.Ind), x.Producing, f2(x.Cap), f2(x.Mat), f2(x.Col)}
	})
	section(&b, "Incoming Groups", "O D R S M", "llrrr", len(rep.Incoming), func(i int) []string {
		x := rep.Incoming[i]
		return []string{planet(x.From), planet(x.To), f2(x.Dist), f2(x.Speed), f2(x.Mass)}
	})
	planets := func(title string, ps []PlanetReport) {
		section(&b, title, "N X Y S P I R P $ M C L", "lrrrrrrlrrrr", len(ps), func(i int) []string {
			p := ps[i]
			what := string(p.Producing)
			if p.Producing == SHIP {
				what = p.Ship
			}
			return []string{p.Name, f2(p.X), f2(p.Y), f2(p.Size), f2(p.Pop), f2(p.Ind), f2(p.Resources), what, f2(p.Cap), f2(p.Mat), f2(p.Col), f2(p.Production)}
		})
	}
	planets("Your Planets", rep.Planets)
	var building []PlanetReport
	for _, p := range rep.Planets {
		if p.Producing == SHIP {
			building = append(building, p)
		}
	}
	section(&b, "Ships In Production", "N P N U", "llrr", len(building), func(i int) []string {
		p := building[i]
		cost := ""
		for _, d := range rep.Designs {
			if d.Name == p.Ship {
				cost = f2(d.Mass * IndPerShip)
			}
		}
		return []string{p.Name, p.Ship, cost, f2(p.Progress)}
	})
	var routed []PlanetReport
	for _, p := range rep.Planets {
		if p.Routes != nil {
			routed = append(routed, p)
		}
	}
	section(&b, "Your Routes", "N $ M C E", "lllll", len(routed), func(i int) []string {
		p := routed[i]
		to := func(n int) string {
			if n == 0 {
				return "-"
			}
			return planet(n)
		}
		return []string{p.Name, to(p.Routes.CAP), to(p.Routes.MAT), to(p.Routes.COL), to(p.Routes.EMP)}
	})
	var owners []string
	for _, p := range rep.AlienPlanets {
		if len(owners) == 0 || owners[len(owners)-1] != p.Owner {
			owners = append(owners, p.Owner)
		}
	}
	for _, o := range uniq(owners) {
		var ps []PlanetReport
		for _, p := range rep.AlienPlanets {
			if p.Owner == o {
				ps = append(ps, p)
			}
		}
		planets(o+" Planets", ps)
	}
	section(&b, "Unidentified Planets", "N X Y", "lrr", len(rep.Unidentified), func(i int) []string {
		p := rep.Unidentified[i]
		return []string{p.Name, f2(p.X), f2(p.Y)}
	})
	section(&b, "Uninhabited Planets", "N X Y S R $ M", "lrrrrrr", len(rep.Uninhabited), func(i int) []string {
		p := rep.Uninhabited[i]
		row := []string{p.Name, f2(p.X), f2(p.Y), "", "", "", ""}
		if p.Size != nil {
			row[3], row[4], row[5], row[6] = f2(*p.Size), f2(*p.Resources), f2(*p.Cap), f2(*p.Mat)
		}
		return row
	})
	groupRow := func(g GroupReport) []string {
		row := []string{strconv.Itoa(g.Number), strconv.Itoa(g.Ships), g.Design, f2(g.Tech.Drive), f2(g.Tech.Weapons), f2(g.Tech.Shields),
			f2(g.Tech.Cargo), cargo(g.Cargo), f2(g.Load), planet(g.Planet), "", ""}
		if g.Dist > 0 {
			row[10], row[11] = f2(g.Dist), planet(g.From)
		}
		return row
	}
	var loose []GroupReport
	for _, g := range rep.Groups {
		if g.Fleet == "" {
			loose = append(loose, g)
		}
	}
	section(&b, "Your Groups", "G # T D W S C T Q D R O", "rrlrrrrlrlrl", len(loose), func(i int) []string { return groupRow(loose[i]) })
	for _, f := range rep.Fleets {
		var gs []GroupReport
		for _, g := range rep.Groups {
			if g.Fleet == f.Name {
				gs = append(gs, g)
			}
		}
		section(&b, fmt.Sprintf("Fleet %s (speed %s)", f.Name, f2(f.Speed)), "G # T D W S C T Q D R O", "rrlrrrrlrlrl", len(gs), func(i int) []string { return groupRow(gs[i]) })
	}
	var aliens []string
	for _, g := range rep.AlienGroups {
		aliens = append(aliens, g.Race)
	}
	for _, race := range uniq(aliens) {
		var gs []AlienGroupReport
		for _, g := range rep.AlienGroups {
			if g.Race == race {
				gs = append(gs, g)
			}
		}
		section(&b, race+" Groups", "# T D W S C T Q D", "rlrrrrlrl", len(gs), func(i int) []string {
			g := gs[i]
			return []string{strconv.Itoa(g.Ships), g.Design, f2(g.Tech.Drive), f2(g.Tech.Weapons), f2(g.Tech.Shields), f2(g.Tech.Cargo), cargo(g.Cargo), f2(g.Load), planet(g.Planet)}
		})
	}
	return b.String()
}

// section writes a titled table: labels (space-separated column letters), align per
// column ('l' left, 'r' right), n rows from row. Nothing for no rows.
func section(b *strings.Builder, title, labels, align string, n int, row func(int) []string) {
	if n == 0 {
		return
	}
	head := strings.Fields(labels)
	rows := make([][]string, n)
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = utf8.RuneCountInString(h)
	}
	for i := range rows {
		rows[i] = row(i)
		for j, c := range rows[i] {
			width[j] = max(width[j], utf8.RuneCountInString(c))
		}
	}
	fmt.Fprintf(b, "\n\t\t%s\n\n", title)
	line := func(cells []string) {
		var l strings.Builder
		for j, c := range cells {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if align[j] == 'r' {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
			l.WriteByte(' ')
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(head)
	for _, r := range rows {
		line(r)
	}
}

func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func cargo(c Cargo) string {
	if c == "" {
		return "-"
	}
	return string(c)
}

func orNobody(name string) string {
	if name == "" {
		return "nobody"
	}
	return name
}

func uniq(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
