package main

import (
	"context"
	"errors"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	if err := NewMain().ParseFlags(context.Background(), []string{"-version"}); !errors.Is(err, errVersion) {
		t.Fatalf("ParseFlags(-version): got %v, want errVersion", err)
	}
}
