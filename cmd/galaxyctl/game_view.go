package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// viewCommands are the game subcommands that show a game's history and its engine.
func viewCommands() []*command {
	return []*command{
		{name: "turns", args: "<gameId>", synopsis: "Show the races' figures turn by turn", setup: gameTurns,
			help: "Shows each race's planets, population, industry, tech and ships after every turn,\noldest first."},
		{name: "state", args: "<gameId>", synopsis: "Print the engine's whole state of a game (admin)", setup: gameState,
			help: "Prints the engine's state of the game as JSON: every planet, race and ship, as the\nengine keeps it (the game master's view). The engine must run."},
	}
}

func gameTurns(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		turns, err := cl.TurnFigures(ctx, id)
		if err != nil {
			return err
		}
		if turns == nil {
			turns = []*orchestrator.TurnFigures{}
		}
		return in.output(turns, func() error {
			if len(turns) == 0 {
				_, err := fmt.Fprintln(in.stdout, "No turns yet.")
				return err
			}
			tw := table(in.stdout)
			fmt.Fprintln(tw, "TURN\tRACE\tPLANETS\tPOPULATION\tINDUSTRY\tTECH D/W/S/C\tSHIPS")
			for _, tf := range turns {
				for _, p := range tf.Players {
					race := p.RaceName
					if p.Out {
						race += " (out)"
					}
					fmt.Fprintf(tw, "%d\t%s\t%d\t%.2f\t%.2f\t%s\t%s\n", tf.Turn, race, p.Planets, p.Population, p.Industry,
						tech(p.Tech.Drive, p.Tech.Weapons, p.Tech.Shields, p.Tech.Cargo), strconv.Itoa(p.Ships))
				}
			}
			return tw.Flush()
		})
	}
}

func gameState(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		state, err := cl.EngineState(ctx, id)
		if err != nil {
			return err
		}
		if in.tmpl != "" {
			var v any
			if err := json.Unmarshal(state, &v); err != nil {
				return fmt.Errorf("the engine's state is not JSON: %w", err)
			}
			return in.execTemplate(v)
		}
		if in.json {
			_, err := fmt.Fprintf(in.stdout, "%s\n", bytes.TrimRight(state, "\n"))
			return err
		}
		var out bytes.Buffer
		if err := json.Indent(&out, state, "", "  "); err != nil {
			out.Reset()
			out.Write(state)
		}
		out.WriteByte('\n')
		_, err = in.stdout.Write(out.Bytes())
		return err
	}
}
