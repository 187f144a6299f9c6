package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

func backupCommand() *command {
	return &command{
		name: "backup", args: "<file|->", synopsis: "Save a consistent copy of galaxyd's store (admin)", setup: backup,
		help: `Saves a consistent copy of galaxyd's store while it serves (GET
/api/v1/admin/backup) to the file ("-": stdout), mode 0600; the file appears only
once the copy is complete. To restore it, stop galaxyd and put it in place of
<data_dir>/galaxy.db (README: Backups).`,
	}
}

func backup(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		cl, err := in.client()
		if err != nil {
			return err
		}
		n, err := in.writeFile(pos[0], func(w io.Writer) error {
			_, err := cl.Backup(ctx, w)
			return err
		})
		if err != nil || pos[0] == "-" {
			return err
		}
		return in.output(map[string]any{"file": pos[0], "bytes": n}, func() error {
			_, err := fmt.Fprintf(in.stdout, "Store copied to %s (%d bytes).\n", pos[0], n)
			return err
		})
	}
}
