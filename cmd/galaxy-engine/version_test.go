package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-version"}, func(string) string { return "" }, &out, &errOut)
	if code != exitOK || !strings.HasPrefix(out.String(), "galaxy-engine ") || !strings.Contains(out.String(), "\nRevision ") ||
		!strings.Contains(out.String(), "\nBuildDate ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}
