package main

import (
	"context"
	"flag"
	"io"

	"github.com/galaxy-orchestrator/galaxy/internal/buildinfo"
)

func versionCommand() *command {
	return &command{
		name: "version", synopsis: "Print galaxyctl's version, commit and build date", setup: version, offline: true,
		help: `Prints galaxyctl's version, commit and build date, as "make build" stamped them
or, in a plain "go build", as the Go toolchain recorded them. "galaxyctl
-version" is the same. (The engine-version registry is "galaxyctl engine".)`,
	}
}

func version(fs *flag.FlagSet, in *invocation) action {
	return func(context.Context, []string) error {
		info := buildinfo.Get()
		return in.output(info, func() error {
			_, err := io.WriteString(in.stdout, info.String("galaxyctl"))
			return err
		})
	}
}
