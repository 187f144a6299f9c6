package main

import (
	"context"
	"errors"
	"io"
)

func proxy(ctx context.Context, c config, out io.Writer) error { return errors.New("not yet") }
