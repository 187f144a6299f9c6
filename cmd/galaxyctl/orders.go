package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func ordersCommand() *command {
	return &command{
		name:     "orders",
		synopsis: "Submit a player's orders (on behalf of a lobby user)",
		help:     "Players' orders, sent as the lobby sends them: on behalf of a lobby user.",
		subs: []*command{{
			name: "submit", args: "<gameId> <orders.json|->", synopsis: "Submit a race's orders for the open turn", setup: ordersSubmit,
			help: `Replaces the race's orders for the open turn with those of the file ("-": stdin):
a JSON array of orders, or an object {"orders": [...]}. Without -turn the open
turn is read from galaxyd first.`,
		}},
	}
}

// optInt is an integer flag that knows whether it was given.
type optInt struct {
	n   int
	set bool
}

func (o *optInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.Itoa(o.n)
}

func (o *optInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("want a turn number (0 or more)")
	}
	o.n, o.set = n, true
	return nil
}

// userFlag registers -user, the lobby user a player call is made for.
func userFlag(fs *flag.FlagSet) *string {
	return fs.String("user", "", "The lobby user's `UUID` the call is made for (required; user ids: game status).")
}

// parseUser checks -user.
func (in *invocation) parseUser(user string) (uuid.UUID, error) {
	id, err := uuid.Parse(user)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, &usageError{msg: in.cmd.path() + ": -user must be the lobby user's UUID", cmd: in.cmd}
	}
	return id, nil
}

func ordersSubmit(fs *flag.FlagSet, in *invocation) action {
	user := userFlag(fs)
	var turn optInt
	fs.Var(&turn, "turn", "The open `turn` the orders are for. Default: the game's open turn, read from galaxyd.")
	final := fs.Bool("final", false, "Mark the race's orders final for the turn.")
	return func(ctx context.Context, pos []string) error {
		gameID, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		userID, err := in.parseUser(*user)
		if err != nil {
			return err
		}
		orders, err := in.readOrders(pos[1])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		if !turn.set {
			v, err := cl.Game(ctx, gameID)
			if err != nil {
				return err
			}
			turn.n = runtimeOf(v).CurrentTurn // the open turn is the last generated one's
		}
		res, err := cl.SubmitOrders(ctx, gameID, userID, orchestrator.OrdersInput{Turn: &turn.n, Orders: orders, Final: *final})
		if err != nil {
			return err
		}
		return in.output(res, func() error {
			_, err := fmt.Fprintf(in.stdout, "Turn %d: %d order(s) accepted, final %t, all players final %t\n", res.Turn, res.Accepted, res.Final, res.AllFinal)
			return err
		})
	}
}

// readOrders reads a JSON array of orders, or an object with an "orders" array, from
// a file or "-" (stdin).
func (in *invocation) readOrders(name string) ([]json.RawMessage, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 1<<20+1))
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	var orders []json.RawMessage
	if len(b) > 0 && b[0] == '{' {
		var wrapped struct {
			Orders []json.RawMessage `json:"orders"`
		}
		err = json.Unmarshal(b, &wrapped)
		orders = wrapped.Orders
	} else {
		err = json.Unmarshal(b, &orders)
	}
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("%s: want a JSON array of orders or {\"orders\": [...]}: %v", name, err), cmd: in.cmd}
	}
	if orders == nil {
		orders = []json.RawMessage{}
	}
	return orders, nil
}
