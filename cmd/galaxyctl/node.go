package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

func nodeCommand() *command {
	return &command{
		name:     "node",
		synopsis: "The cluster's engine nodes: list them, drain one (admin)",
		help: `The nodes engines run on (Nomad): their status, eligibility, drain and how many
games each holds. A drained node's games are moved off it by galaxyd, each as a
transfer in its operation log.`,
		subs: []*command{
			{name: "list", synopsis: "List the nodes with their games", setup: nodeList,
				help: "Lists the nodes of the configured pool, by name, with their status,\neligibility, drain and number of games (GET /api/v1/nodes)."},
			{name: "drain", args: "<node>", synopsis: "Drain a node and follow it until it holds no game", setup: nodeDrain,
				help: `Starts a Nomad drain of the node (by ID or name; POST /api/v1/nodes/{node}/drain)
and follows it, like "nomad node drain", until the node holds no game: galaxyd
moves each game to another node at its turn with its orders. -detach returns once
the drain has started.`},
		},
	}
}

func nodeList(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, _ []string) error {
		cl, err := in.client()
		if err != nil {
			return err
		}
		nodes, err := cl.Nodes(ctx)
		if err != nil {
			return err
		}
		if nodes == nil {
			nodes = []*orchestrator.Node{}
		}
		return in.output(nodes, func() error {
			if len(nodes) == 0 {
				_, err := fmt.Fprintln(in.stdout, "No nodes.")
				return err
			}
			tw := table(in.stdout)
			fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tELIGIBLE\tDRAINING\tGAMES")
			for _, n := range nodes {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%t\t%d\n", n.ID, dash(n.Name), n.Status, n.Eligible, n.Draining, n.Games)
			}
			return tw.Flush()
		})
	}
}

func nodeDrain(fs *flag.FlagSet, in *invocation) action {
	deadline := fs.Duration("deadline", 0, "How `long` Nomad lets the node's engines stay (default Nomad's, 1h).")
	detach := fs.Bool("detach", false, "Return once the drain has started.")
	timeout := fs.Duration("timeout", time.Hour, "How `long` to follow the drain.")
	return func(ctx context.Context, pos []string) error {
		if *deadline < 0 {
			return &usageError{msg: "-deadline must not be negative", cmd: in.cmd}
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		if err := cl.Drain(ctx, pos[0], *deadline); err != nil {
			return err
		}
		if *detach {
			return in.output(map[string]string{"node": pos[0], "status": "draining"}, func() error {
				_, err := fmt.Fprintf(in.stdout, "Node %s is draining; galaxyd moves its games off it.\n", pos[0])
				return err
			})
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		last := -1
		for {
			n, err := findNode(ctx, cl.Nodes, pos[0])
			if err != nil {
				return err
			}
			if n.Games != last && in.human() {
				fmt.Fprintf(in.stdout, "%s: node %s (%s, eligible %t, draining %t): %s left\n",
					time.Now().Format("15:04:05"), dash(n.Name), n.Status, n.Eligible, n.Draining, plural(n.Games, "game"))
				last = n.Games
			}
			if n.Games == 0 {
				return in.output(n, func() error {
					_, err := fmt.Fprintf(in.stdout, "Node %s holds no game.\n", dash(n.Name))
					return err
				})
			}
			t := time.NewTimer(pollInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("node %s still holds %s after %s: %w", pos[0], plural(n.Games, "game"), *timeout, ctx.Err())
			case <-t.C:
			}
		}
	}
}

// findNode returns the node named or identified by ref.
func findNode(ctx context.Context, list func(context.Context) ([]*orchestrator.Node, error), ref string) (*orchestrator.Node, error) {
	nodes, err := list(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if n.ID == ref || n.Name == ref {
			return n, nil
		}
	}
	return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no node %s among the %s galaxyd follows", strconv.Quote(ref), plural(len(nodes), "node"))
}
