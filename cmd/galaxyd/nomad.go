package main

import (
	"fmt"
	"os"

	"github.com/galaxy-orchestrator/galaxy/nomad"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/hcl/v2"
)

// NomadConfig is galaxyd's `nomad { ... }` block. LoadConfig decodes it straight into
// the embedded nomad.Config, whose hcl tags are the block's keys (see nomad.Config and
// jobspec.Config for each one, its unit and default), so no field is copied by hand
// and no duration is parsed twice. Addresses and tokens left empty come from
// NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_REGION, CONSUL_HTTP_ADDR,
// CONSUL_HTTP_TOKEN and their TLS variables.
type NomadConfig struct {
	nomad.Config
	// ranges locate the file's keys ("nomad.constraint[1].value"), for driverConfig.
	ranges map[string]hcl.Range
}

// driverConfig checks the decoded block and returns the driver's configuration.
// Every error names the key and its position in the file.
func (n *NomadConfig) driverConfig() (nomad.Config, error) {
	var c nomad.Config
	var ranges map[string]hcl.Range
	if n != nil {
		c, ranges = n.Config, n.ranges
	}
	if c.TemplateFile != "" {
		if _, err := os.Stat(c.TemplateFile); err != nil {
			return c, positioned(ranges, "nomad.template_file", fmt.Sprintf("nomad.template_file: %v", err))
		}
	}
	if err := c.Validate(); err != nil {
		var field string
		if e, ok := err.(*orchestrator.Error); ok {
			field = e.Field
		}
		return c, positioned(ranges, "nomad."+field, "nomad."+field+": "+orchestrator.ErrorMessage(err))
	}
	return c, nil
}
