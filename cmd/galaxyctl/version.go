package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

type versionList struct {
	Versions []*orchestrator.EngineVersion `json:"versions"`
}

func (c *cli) version(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("version needs a subcommand: add, list, rm")
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "add":
		return c.versionAdd(ctx, args)
	case "list":
		return c.versionList(ctx, args)
	case "rm":
		return c.versionRemove(ctx, args)
	}
	return usagef("unknown version subcommand %q", verb)
}

func (c *cli) versionAdd(ctx context.Context, args []string) error {
	fs, co := c.newFlags("version add")
	command := fs.String("command", "", "engine binary (absolute path) for the local driver")
	image := fs.String("image", "", "Docker image reference for the Nomad driver")
	notes := fs.String("notes", "", "free text for operators")
	disabled := fs.Bool("disabled", false, "add the version disabled (not usable by new games)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("version add", pos, "<version>"); err != nil {
		return err
	}
	if *command == "" && *image == "" {
		return usagef("version add needs -command or -image")
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	enabled := !*disabled
	body := map[string]any{"version": pos[0], "imageRef": *image, "command": *command, "notes": *notes, "enabled": enabled}
	var v orchestrator.EngineVersion
	raw, _, err := cl.do(ctx, request{method: "POST", path: "/api/v1/engine-versions", body: body}, &v)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	fmt.Fprintf(c.stdout, "Engine version %s added (enabled %t).\n", v.Version, v.Enabled)
	return nil
}

func (c *cli) versionList(ctx context.Context, args []string) error {
	fs, co := c.newFlags("version list")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("version list", pos); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	var l versionList
	raw, _, err := cl.do(ctx, request{method: "GET", path: "/api/v1/engine-versions"}, &l)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	if len(l.Versions) == 0 {
		fmt.Fprintln(c.stdout, "No engine versions.")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "VERSION\tENABLED\tIMAGE\tCOMMAND\tNOTES")
	for _, v := range l.Versions {
		fmt.Fprintf(tw, "%s\t%t\t%s\t%s\t%s\n", v.Version, v.Enabled, dash(v.ImageRef), dash(v.Command), dash(v.Notes))
	}
	return tw.Flush()
}

func (c *cli) versionRemove(ctx context.Context, args []string) error {
	fs, co := c.newFlags("version rm")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("version rm", pos, "<version>"); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	if _, _, err := cl.do(ctx, request{method: "DELETE", path: "/api/v1/engine-versions/" + url.PathEscape(pos[0])}, nil); err != nil {
		return err
	}
	if !co.json {
		fmt.Fprintf(c.stdout, "Engine version %s removed.\n", pos[0])
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
