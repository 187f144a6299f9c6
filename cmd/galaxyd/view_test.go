package main

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestViews: the console's reads — the races' figures turn by turn, the engine's whole
// state for the game master's map, and a race's report in GalaxyNG's text layout.
func TestViews(t *testing.T) {
	m := MustRunMain(t, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	id := MustStartGame(t, a, yearly, "Viewed")
	a.action(id, "force-next-turn", nil)
	a.action(id, "force-next-turn", nil)

	var figures struct {
		Turns []struct {
			Turn    int `json:"turn"`
			Players []struct {
				RaceName string `json:"raceName"`
			} `json:"players"`
		} `json:"turns"`
	}
	a.must(200, "GET", "/api/v1/games/"+id.String()+"/turns", uuid.Nil, nil, &figures)
	if len(figures.Turns) != 3 || figures.Turns[0].Turn != 0 || figures.Turns[2].Turn != 2 || figures.Turns[2].Players[0].RaceName != "Viewed" {
		t.Fatalf("turn figures %+v, want turns 0, 1, 2 with the race", figures.Turns)
	}
	var state struct {
		GameID  uuid.UUID `json:"gameId"`
		Turn    int       `json:"turn"`
		Planets []any     `json:"planets"`
	}
	a.must(200, "GET", "/api/v1/games/"+id.String()+"/state", uuid.Nil, nil, &state)
	if state.GameID != id || state.Turn != 2 || len(state.Planets) == 0 {
		t.Fatalf("engine state: game %s turn %d, %d planets", state.GameID, state.Turn, len(state.Planets))
	}
	user := a.game(id).Players[0].UserID
	code, body := a.do("GET", "/api/v1/games/"+id.String()+"/report?format=text", user, nil)
	if code != 200 || !strings.Contains(string(body), "Report for Viewed") {
		t.Fatalf("text report: %d %.200s", code, body)
	}
}
