package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

func engineCommand() *command {
	return &command{
		name:     "engine",
		synopsis: "Manage the engine-version registry (admin)",
		help: `The engine-version registry: which engine versions games may use, and how the
drivers run each (a Docker image for Nomad, a command for the local driver).`,
		subs: []*command{
			{name: "add", args: "<version>", synopsis: "Register an engine version", setup: engineAdd,
				help: "Registers an engine version. galaxyd checks at once that its driver could run it\n(the local driver: the command exists and is executable)."},
			{name: "list", synopsis: "List the engine versions", setup: engineList,
				help: "Lists the registry, ascending by version."},
			{name: "status", args: "<version>", synopsis: "Show one engine version", setup: engineStatus,
				help: "Shows one engine version, its settings schema included."},
			{name: "rm", args: "<version>", synopsis: "Remove an engine version no game uses", setup: engineRemove,
				help: "Removes an engine version; galaxyd refuses (conflict) while a game uses it."},
		},
	}
}

func engineAdd(fs *flag.FlagSet, in *invocation) action {
	command := fs.String("command", "", "The engine binary (absolute `path`) for the local driver and Nomad's exec drivers.")
	image := fs.String("image", "", "The Docker `image` reference for Nomad's docker driver.")
	notes := fs.String("notes", "", "Free `text` for operators.")
	disabled := fs.Bool("disabled", false, "Add the version disabled: known, but not usable by new games.")
	return func(ctx context.Context, pos []string) error {
		if *command == "" && *image == "" {
			return &usageError{msg: "engine add needs -command or -image", cmd: in.cmd}
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		v, err := cl.CreateEngineVersion(ctx, &orchestrator.EngineVersion{Version: pos[0], Command: *command, ImageRef: *image, Notes: *notes, Enabled: !*disabled})
		if err != nil {
			return err
		}
		return in.output(v, func() error {
			_, err := fmt.Fprintf(in.stdout, "Engine version %s added (enabled %t).\n", v.Version, v.Enabled)
			return err
		})
	}
}

func engineList(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, _ []string) error {
		cl, err := in.client()
		if err != nil {
			return err
		}
		vs, err := cl.EngineVersions(ctx)
		if err != nil {
			return err
		}
		if vs == nil {
			vs = []*orchestrator.EngineVersion{}
		}
		return in.output(vs, func() error {
			if len(vs) == 0 {
				_, err := fmt.Fprintln(in.stdout, "No engine versions.")
				return err
			}
			tw := table(in.stdout)
			fmt.Fprintln(tw, "VERSION\tENABLED\tIMAGE\tCOMMAND\tNOTES")
			for _, v := range vs {
				fmt.Fprintf(tw, "%s\t%t\t%s\t%s\t%s\n", v.Version, v.Enabled, dash(v.ImageRef), dash(v.Command), dash(v.Notes))
			}
			return tw.Flush()
		})
	}
}

func engineStatus(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		cl, err := in.client()
		if err != nil {
			return err
		}
		v, err := cl.EngineVersion(ctx, pos[0])
		if err != nil {
			return err
		}
		return in.output(v, func() error {
			schema := "none (any settings)"
			if len(v.SettingsSchema) > 0 {
				schema = strconv.Itoa(len(v.SettingsSchema)) + " bytes of JSON Schema (-json shows it)"
			}
			return keyValues(in.stdout, [][2]string{
				{"Version", v.Version},
				{"Enabled", strconv.FormatBool(v.Enabled)},
				{"Image", v.ImageRef},
				{"Command", v.Command},
				{"Notes", v.Notes},
				{"Settings", schema},
				{"Created", optional(&v.CreatedAt)},
				{"Updated", optional(&v.UpdatedAt)},
			})
		})
	}
}

func engineRemove(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		cl, err := in.client()
		if err != nil {
			return err
		}
		if err := cl.DeleteEngineVersion(ctx, pos[0]); err != nil {
			return err
		}
		return in.output(map[string]any{"version": pos[0], "removed": true}, func() error {
			_, err := fmt.Fprintf(in.stdout, "Engine version %s removed.\n", pos[0])
			return err
		})
	}
}
