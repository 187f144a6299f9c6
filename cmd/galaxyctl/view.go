package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// now is the CLI's clock, for relative times; tests set it.
var now = time.Now

// table returns a writer that aligns tab-separated columns, as nomad's tables do.
func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
}

// keyValues prints "Key = value" lines aligned on the "=", skipping empty values, the
// way nomad prints a status.
func keyValues(w io.Writer, rows [][2]string) error {
	tw := table(w)
	for _, row := range rows {
		if row[1] != "" {
			fmt.Fprintf(tw, "%s\t= %s\n", row[0], row[1])
		}
	}
	return tw.Flush()
}

// when formats a time in the local zone; "-" when unset.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.RFC3339)
}

// whenRel is when with how far from now it is: "… (in 42s)", "… (3m0s ago)".
func whenRel(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	d := t.Sub(now()).Round(time.Second)
	if d >= 0 {
		return fmt.Sprintf("%s (in %s)", when(t), d)
	}
	return fmt.Sprintf("%s (%s ago)", when(t), -d)
}

// clock formats a time of day for progress lines.
func clock(t time.Time) string { return t.Local().Format(time.RFC3339) }

// optional returns the time or "" when unset, for key/value rows that hide it.
func optional(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return when(t)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runtimeOf never returns nil, so printing a partial answer cannot panic.
func runtimeOf(v *orchestrator.GameView) *orchestrator.Runtime {
	if v == nil || v.Runtime == nil {
		return &orchestrator.Runtime{}
	}
	return v.Runtime
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

func ids(l []uuid.UUID) string {
	if len(l) == 0 {
		return "-"
	}
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = v.String()
	}
	return strings.Join(s, ", ")
}

// parseID parses a positional UUID argument; a malformed one is a usage error naming
// what it should be.
func (in *invocation) parseID(what, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, &usageError{msg: fmt.Sprintf("%s: %s must be a UUID, not %q", in.cmd.path(), what, s), cmd: in.cmd}
	}
	return id, nil
}

// tech renders a race's technologies as drive/weapons/shields/cargo.
func tech(d, w, s, c float64) string {
	return fmt.Sprintf("%.2f/%.2f/%.2f/%.2f", d, w, s, c)
}
