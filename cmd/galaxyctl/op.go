package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// pollInterval is the first pause between polls of an operation; it doubles up to
// maxPollInterval. Tests shorten both.
var (
	pollInterval    = 500 * time.Millisecond
	maxPollInterval = 5 * time.Second
)

func (c *cli) op(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "status" {
		return usagef("op needs a subcommand: status")
	}
	fs, co := c.newFlags("op status")
	of := addOpFlags(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs("op status", pos, "<operationId>"); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	var op orchestrator.Operation
	raw, _, err := cl.do(ctx, request{method: "GET", path: "/api/v1/operations/" + url.PathEscape(pos[0])}, &op)
	if err != nil {
		return err
	}
	return c.finishOp(ctx, cl, co, of, &op, raw)
}

// queue sends a request that answers 202 with an operation, then prints it or, with
// -wait, polls it until it is done.
func (c *cli) queue(ctx context.Context, co *common, of *opFlags, req request) error {
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	var op orchestrator.Operation
	raw, _, err := cl.do(ctx, req, &op)
	if err != nil {
		return err
	}
	return c.finishOp(ctx, cl, co, of, &op, raw)
}

// finishOp prints op (after waiting for it with -wait) and turns a failed operation
// into exit code 1.
func (c *cli) finishOp(ctx context.Context, cl *Client, co *common, of *opFlags, op *orchestrator.Operation, raw []byte) error {
	if of.wait && !op.Done() {
		var err error
		if op, raw, err = c.wait(ctx, cl, op, of.timeout, co.json); err != nil {
			return err
		}
	}
	if co.json {
		if err := c.raw(raw); err != nil {
			return err
		}
	} else {
		c.printOp(op)
	}
	if op.Status == orchestrator.OpFailed {
		return fmt.Errorf("operation %s (%s) failed: %s", op.ID, op.Op, opError(op))
	}
	return nil
}

// wait polls the operation until it is succeeded or failed, or timeout passes.
func (c *cli) wait(ctx context.Context, cl *Client, op *orchestrator.Operation, timeout time.Duration, quiet bool) (*orchestrator.Operation, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !quiet {
		fmt.Fprintf(c.stderr, "Waiting for operation %s (%s)...\n", op.ID, op.Op)
	}
	delay := pollInterval
	for {
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("operation %s still %s after %s (poll it with: galaxyctl op status %s -wait)", op.ID, op.Status, timeout, op.ID)
		case <-time.After(delay):
		}
		delay = min(2*delay, maxPollInterval)
		var next orchestrator.Operation
		raw, _, err := cl.do(ctx, request{method: "GET", path: "/api/v1/operations/" + op.ID.String()}, &next)
		switch {
		case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
			continue // reported by the select above
		case err != nil:
			return nil, nil, err
		}
		op = &next
		if op.Done() {
			return op, raw, nil
		}
	}
}

func (c *cli) printOp(op *orchestrator.Operation) {
	tw := c.table()
	rows := [][2]string{
		{"ID", op.ID.String()},
		{"Game", op.GameID.String()},
		{"Op", string(op.Op)},
		{"Source", string(op.Source)},
		{"Status", op.Status},
		{"Error", opError(op)},
		{"Version", op.Details.Version},
		{"Image", op.Details.ImageRef},
		{"Created", when(&op.CreatedAt)},
		{"Started", when(op.StartedAt)},
		{"Finished", when(op.FinishedAt)},
	}
	if op.Details.Turn != 0 {
		rows = append(rows, [2]string{"Turn", strconv.Itoa(op.Details.Turn)})
	}
	for _, row := range rows {
		if row[1] != "" && row[1] != "-" {
			fmt.Fprintf(tw, "%s\t= %s\n", row[0], row[1])
		}
	}
	_ = tw.Flush()
}

// opError renders a failed operation's reason as "<code>: <message>".
func opError(op *orchestrator.Operation) string {
	switch {
	case op.ErrorCode != "" && op.ErrorMessage != "":
		return op.ErrorCode + ": " + op.ErrorMessage
	case op.ErrorCode != "":
		return op.ErrorCode
	}
	return op.ErrorMessage
}
