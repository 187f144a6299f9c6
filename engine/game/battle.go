package game

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// MaxBattleRounds ends a battle that has not been decided after that many rounds as a
// standoff (GalaxyNG has no limit; with a kill chance above zero every round a battle
// ends with probability 1, but a tiny chance could take very long).
const MaxBattleRounds = 10000

// Battle is one battle of the last generated turn: where, in which of the turn's two
// fight phases (1 before the move phase, 2 after), every group that took part, how
// many rounds and shots it took, and whether it ended in a standoff (the ships left
// cannot hurt each other) rather than with one side (or one alliance) alone.
type Battle struct {
	Planet   int           `json:"planet"`
	Phase    int           `json:"phase"`
	Rounds   int           `json:"rounds"`
	Shots    int           `json:"shots"`
	Standoff bool          `json:"standoff,omitempty"`
	Groups   []BattleGroup `json:"groups"`
}

// BattleGroup is a group in a battle: Ships before it, Left after.
type BattleGroup struct {
	Race   uuid.UUID   `json:"race"`
	Design string      `json:"design"`
	Tech   engine.Tech `json:"tech"`
	Cargo  Cargo       `json:"cargo,omitempty"`
	Load   float64     `json:"load,omitempty"`
	Ships  int         `json:"ships"`
	Left   int         `json:"left"`
}

// side is one race in a battle.
type side struct {
	race    *Race
	groups  []*fighter
	enemies []*side
	alive   []int // indexes into the battle's ships, for O(1) random picks
}

// fighter is one group in a battle.
type fighter struct {
	g               *Group
	d               *ShipDesign
	attack, defence float64
	left            int
}

// ship is one ship in a battle.
type ship struct {
	side *side
	f    *fighter
	pos  int // index in side.alive; -1 once destroyed
}

// fightPhase fights every battle of one phase (GalaxyNG's fightphase): at each planet
// where two or more races have groups and one of them is at war with another and has
// guns there. Every round, each armed ship still alive at its start fires once, in a
// random order (a ship destroyed before its turn does not fire), each gun at a random
// surviving enemy ship — a ship of a race it is at war with, or of one at war with it
// that has guns there. A shot destroys its target with KillProbability(attack,
// defence). Rounds go on until no side can hurt an enemy (a standoff, also when no
// gun is stronger than a quarter of the enemy's weakest defence) or no armed side has
// enemies left.
func (g *Game) fightPhase(phase int, order []*Race, rng *rand.Rand) {
	at := map[int][]*side{}
	var planets []int
	for _, r := range order {
		for _, gr := range r.Groups {
			loc := gr.location()
			if loc == 0 || gr.Ships == 0 {
				continue
			}
			d := r.design(gr.Design)
			if d == nil {
				continue
			}
			sides := at[loc]
			if len(sides) == 0 {
				planets = append(planets, loc)
			}
			if len(sides) == 0 || sides[len(sides)-1].race != r {
				sides = append(sides, &side{race: r})
				at[loc] = sides
			}
			s := sides[len(sides)-1]
			s.groups = append(s.groups, &fighter{g: gr, d: d, attack: Attack(d, gr), defence: Defence(d, gr), left: gr.Ships})
		}
	}
	slices.Sort(planets)
	for _, p := range planets {
		sides := at[p]
		if len(sides) < 2 || !mustBattle(sides) {
			continue
		}
		b := fight(sides, rng)
		b.Planet, b.Phase = p, phase
		g.Battles = append(g.Battles, b)
	}
	for _, r := range order {
		r.dropEmptyGroups()
	}
}

// mustBattle reports whether some race at war with another there has guns there.
func mustBattle(sides []*side) bool {
	for _, a := range sides {
		if !a.armed() {
			continue
		}
		for _, b := range sides {
			if a.race.AtWar(b.race) {
				return true
			}
		}
	}
	return false
}

func (s *side) armed() bool {
	for _, f := range s.groups {
		if f.d.Armed() && f.left > 0 {
			return true
		}
	}
	return false
}

// fight runs one battle and updates the groups' ships.
func fight(sides []*side, rng *rand.Rand) Battle {
	var ships []ship
	for _, a := range sides {
		for _, b := range sides {
			if a != b && (a.race.AtWar(b.race) || (b.race.AtWar(a.race) && b.armed())) {
				a.enemies = append(a.enemies, b)
			}
		}
		for _, f := range a.groups {
			for range f.left {
				a.alive = append(a.alive, len(ships))
				ships = append(ships, ship{side: a, f: f, pos: len(a.alive) - 1})
			}
		}
	}
	var b Battle
	var shooters []int
	for !battleOver(sides) {
		if b.Rounds == MaxBattleRounds {
			b.Standoff = true
			break
		}
		b.Rounds++
		shooters = shooters[:0]
		for i := range ships {
			if ships[i].pos >= 0 && ships[i].f.d.Armed() {
				shooters = append(shooters, i)
			}
		}
		rng.Shuffle(len(shooters), func(i, j int) { shooters[i], shooters[j] = shooters[j], shooters[i] })
		for _, i := range shooters {
			sh := &ships[i]
			if sh.pos < 0 {
				continue
			}
			for range sh.f.d.Attacks {
				t := pickTarget(sh.side, rng)
				if t < 0 {
					break
				}
				b.Shots++
				target := &ships[t]
				if shotKills(sh.f.attack, target.f.defence, rng) {
					destroy(ships, t)
				}
			}
		}
	}
	b.Standoff = b.Standoff || enemiesLeft(sides)
	for _, s := range sides {
		for _, f := range s.groups {
			b.Groups = append(b.Groups, BattleGroup{Race: s.race.ID, Design: f.g.Design, Tech: f.g.Tech, Cargo: f.g.Cargo, Load: f.g.Load, Ships: f.g.Ships, Left: f.left})
			f.g.Ships = f.left
		}
	}
	return b
}

// shotKills draws whether a shot of strength attack destroys a ship of defence
// defence. GalaxyNG draws attack/defence > 4^U(−1,1); for U uniform that holds with
// probability KillProbability(attack, defence), which is what is drawn here.
func shotKills(attack, defence float64, rng *rand.Rand) bool {
	return rng.Float64() < KillProbability(attack, defence)
}

// pickTarget returns a random surviving ship of the enemies of s, or -1.
func pickTarget(s *side, rng *rand.Rand) int {
	total := 0
	for _, e := range s.enemies {
		total += len(e.alive)
	}
	if total == 0 {
		return -1
	}
	n := rng.IntN(total)
	for _, e := range s.enemies {
		if n < len(e.alive) {
			return e.alive[n]
		}
		n -= len(e.alive)
	}
	return -1
}

// destroy removes ship t from its side's survivors.
func destroy(ships []ship, t int) {
	sh := &ships[t]
	alive := sh.side.alive
	last := alive[len(alive)-1]
	alive[sh.pos] = last
	ships[last].pos = sh.pos
	sh.side.alive = alive[:len(alive)-1]
	sh.pos = -1
	sh.f.left--
}

// battleOver reports whether a battle has ended: a standoff, or no armed side has an
// enemy ship left.
func battleOver(sides []*side) bool {
	if isDraw(sides) {
		return true
	}
	for _, s := range sides {
		if !s.armed() {
			continue
		}
		for _, e := range s.enemies {
			if len(e.alive) > 0 {
				return false
			}
		}
	}
	return true
}

// isDraw is GalaxyNG's isDraw: no side has a gun stronger than a quarter of the
// weakest defence among an enemy's survivors, so nobody can ever destroy anything.
func isDraw(sides []*side) bool {
	for _, s := range sides {
		maxAttack := 0.0
		for _, f := range s.groups {
			if f.left > 0 && f.d.Armed() {
				maxAttack = math.Max(maxAttack, f.attack)
			}
		}
		for _, e := range s.enemies {
			minDefence := -1.0
			for _, f := range e.groups {
				if f.left > 0 && (minDefence < 0 || f.defence < minDefence) {
					minDefence = f.defence
				}
			}
			if minDefence >= 0 && minDefence/4 < maxAttack {
				return false
			}
		}
	}
	return true
}

// enemiesLeft reports whether two enemies both still have ships: the battle ended in a
// standoff, not with a winner.
func enemiesLeft(sides []*side) bool {
	for _, s := range sides {
		for _, e := range s.enemies {
			if len(s.alive) > 0 && len(e.alive) > 0 {
				return true
			}
		}
	}
	return false
}
