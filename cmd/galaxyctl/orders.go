package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// userHeader validates -user and returns the header that carries it.
func userHeader(user string) (http.Header, error) {
	if _, err := uuid.Parse(user); err != nil {
		return nil, usagef("-user must be the lobby user's UUID")
	}
	return http.Header{"X-Galaxy-User": {user}}, nil
}

func (c *cli) orders(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "submit" {
		return usagef("orders needs a subcommand: submit")
	}
	fs, co := c.newFlags("orders submit")
	user := fs.String("user", "", "the lobby user's UUID (required)")
	turn := fs.Int("turn", 0, "the open turn (0: whatever turn is open)")
	final := fs.Bool("final", false, "mark the orders final for the turn")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs("orders submit", pos, "<gameId>", "<orders.json|->"); err != nil {
		return err
	}
	h, err := userHeader(*user)
	if err != nil {
		return err
	}
	orders, err := readOrders(pos[1])
	if err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	body := map[string]any{"turn": *turn, "orders": orders, "final": *final}
	var res engine.OrdersResult
	raw, _, err := cl.do(ctx, request{method: "POST", path: "/api/v1/games/" + url.PathEscape(pos[0]) + "/orders", body: body, header: h}, &res)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	fmt.Fprintf(c.stdout, "Turn %d: %d order(s) accepted, final %t, all players final %t\n", res.Turn, res.Accepted, res.Final, res.AllFinal)
	return nil
}

// readOrders reads a JSON array of orders, or an object with an "orders" array, from
// a file or "-" (stdin).
func readOrders(name string) ([]json.RawMessage, error) {
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
		return nil, usagef("%s: want a JSON array of orders or {\"orders\": [...]}: %v", name, err)
	}
	if orders == nil {
		orders = []json.RawMessage{}
	}
	return orders, nil
}

func (c *cli) report(ctx context.Context, args []string) error {
	fs, co := c.newFlags("report")
	user := fs.String("user", "", "the lobby user's UUID (required)")
	turn := fs.Int("turn", 0, "the turn (0: the last generated turn)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("report", pos, "<gameId>"); err != nil {
		return err
	}
	h, err := userHeader(*user)
	if err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *turn > 0 {
		q.Set("turn", strconv.Itoa(*turn))
	}
	raw, _, err := cl.do(ctx, request{method: "GET", path: "/api/v1/games/" + url.PathEscape(pos[0]) + "/report", query: q, header: h}, nil)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	// A report is engine-defined: indented JSON is the readable form.
	var out bytes.Buffer
	if json.Indent(&out, raw, "", "  ") != nil {
		return c.raw(raw)
	}
	return c.raw(out.Bytes())
}
