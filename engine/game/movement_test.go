package game

import (
	"strconv"
	"testing"
)

func TestSend(t *testing.T) {
	g, a, _ := mini(t)
	give(g, a, manualShips[1].d, 3, 1) // Flak: 6.67 ly a turn
	mustOrders(t, g, a, `{"type":"send","group":1,"planet":"3","ships":1}`)
	mustTurn(t, g)
	var moving *Group
	for _, gr := range a.Groups {
		if gr.Dist > 0 {
			moving = gr
		}
	}
	if moving == nil || moving.Ships != 1 || !near(moving.Dist, 10-20.0/3) || moving.From != 1 || moving.Planet != 3 {
		t.Fatalf("groups %+v, want 1 flak 3.33 ly from planet 3", a.Groups)
	}
	_, err := g.SetOrders(a.ID, g.Turn, raws(`{"type":"send","group":`+strconv.Itoa(moving.Number)+`,"planet":4}`), false)
	mustDetail(t, err, 0, "group") // in hyperspace
	mustTurn(t, g)
	if moving.Dist != 0 || moving.From != 3 {
		t.Fatalf("group %+v, want arrived at 3", moving)
	}
	for name, order := range map[string]string{
		"ErrNoDrive":   `{"type":"send","group":"MAX","planet":3}`,
		"ErrSamePlace": `{"type":"send","group":1,"planet":1}`,
		"ErrTooMany":   `{"type":"send","group":1,"planet":3,"ships":99}`,
		"ErrNoPlanet":  `{"type":"send","group":1,"planet":"Nowhere"}`,
		"ErrBoth":      `{"type":"send","group":1,"fleet":"F","planet":3}`,
	} {
		t.Run(name, func(t *testing.T) {
			g, a, _ := mini(t)
			give(g, a, manualShips[1].d, 3, 1)
			give(g, a, manualShips[11].d, 1, 1) // SpaceGun: no drive
			if _, err := g.SetOrders(a.ID, 0, raws(order), false); err == nil {
				t.Fatalf("order %s accepted", order)
			}
		})
	}
}

// TestIntercept: A's drones at planet 1 (20 ly a turn: two turns reach 40 ly) intercept
// at planet 3, from which B sends haulers to planet 2 (30 ly from planet 1) and much
// heavier freighters to planet 4 (100 ly away, out of reach): the drones follow the
// haulers to planet 2.
func TestIntercept(t *testing.T) {
	g, a, b := mini(t)
	give(g, a, manualShips[0].d, 2, 1) // drones, 20 ly a turn: reach 40 ly from planet 1
	give(g, b, hauler, 5, 3)
	give(g, b, manualShips[13].d, 5, 3) // freighters, heavier, to planet 4
	g.Planets[3].Owner = b.ID
	mustOrders(t, g, a, `{"type":"intercept","group":1,"planet":3}`)
	mustOrders(t, g, b, `{"type":"send","group":1,"planet":2}`, `{"type":"send","group":2,"planet":4}`)
	mustTurn(t, g)
	if gr := a.Groups[0]; gr.Planet != 2 {
		t.Fatalf("interceptors %+v, want them bound for planet 2, where the haulers go (planet 4 is out of reach)", gr)
	}
	t.Run("OK/NobodyLeaves", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, manualShips[0].d, 2, 1)
		give(g, b, hauler, 5, 3)
		mustOrders(t, g, a, `{"type":"intercept","group":1,"planet":3}`)
		mustTurn(t, g)
		if gr := a.Groups[0]; gr.Planet != 3 || gr.Dist != 0 {
			t.Fatalf("interceptors %+v, want them at the target planet 3", gr)
		}
	})
}
