package main

import (
	"fmt"
	"os"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad"
	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
)

// NomadConfig is galaxyd's `nomad { ... }` block: where Nomad and Consul are and how
// each game's job is shaped. Durations are strings ("30s"). Addresses and tokens left
// empty come from NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_REGION,
// CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN and their TLS variables.
type NomadConfig struct {
	Address          string    `hcl:"address,optional"`
	Token            string    `hcl:"token,optional"`
	Region           string    `hcl:"region,optional"`
	Namespace        string    `hcl:"namespace,optional"`
	TLS              *NomadTLS `hcl:"tls,block"`
	ConsulAddress    string    `hcl:"consul_address,optional"`
	ConsulToken      string    `hcl:"consul_token,optional"`
	ConsulDatacenter string    `hcl:"consul_datacenter,optional"`
	ConsulTLS        *NomadTLS `hcl:"consul_tls,block"`
	RateLimit        float64   `hcl:"rate_limit,optional"`
	RateBurst        int       `hcl:"rate_burst,optional"`
	MaxConcurrent    int       `hcl:"max_concurrent,optional"`
	MaxRetries       int       `hcl:"max_retries,optional"`
	RequestTimeout   string    `hcl:"request_timeout,optional"`
	StartTimeout     string    `hcl:"start_timeout,optional"`
	StopTimeout      string    `hcl:"stop_timeout,optional"`
	TemplateFile     string    `hcl:"template_file,optional"`

	Datacenters      []string          `hcl:"datacenters,optional"`
	NodePool         string            `hcl:"node_pool,optional"`
	Priority         int               `hcl:"priority,optional"`
	Stack            string            `hcl:"stack,optional"`
	Driver           string            `hcl:"driver,optional"`
	Command          string            `hcl:"command,optional"`
	Args             []string          `hcl:"args,optional"`
	SharedVolume     string            `hcl:"shared_volume,optional"`
	SharedVolumePath string            `hcl:"shared_volume_path,optional"`
	VolumePlugin     string            `hcl:"volume_plugin,optional"`
	VolumeMode       string            `hcl:"volume_mode,optional"`
	EngineUID        *int              `hcl:"engine_uid,optional"`
	EngineGID        *int              `hcl:"engine_gid,optional"`
	VolumeParameters map[string]string `hcl:"volume_parameters,optional"`
	ServiceName      string            `hcl:"service_name,optional"`
	ServiceTags      []string          `hcl:"service_tags,optional"`
	Discovery        string            `hcl:"discovery,optional"`
	CheckInterval    string            `hcl:"check_interval,optional"`
	CheckTimeout     string            `hcl:"check_timeout,optional"`
	CPU              int               `hcl:"cpu,optional"`
	Memory           int               `hcl:"memory,optional"`
	MemoryMax        int               `hcl:"memory_max,optional"`
	MinHealthyTime   string            `hcl:"min_healthy_time,optional"`
	HealthyDeadline  string            `hcl:"healthy_deadline,optional"`
	ProgressDeadline string            `hcl:"progress_deadline,optional"`
	AutoRevert       bool              `hcl:"auto_revert,optional"`
	KillTimeout      string            `hcl:"kill_timeout,optional"`
	ShutdownDelay    string            `hcl:"shutdown_delay,optional"`
	Constraints      []NomadConstraint `hcl:"constraint,block"`
	Spreads          []NomadSpread     `hcl:"spread,block"`
}

// NomadTLS is a tls or consul_tls block.
type NomadTLS struct {
	CACert     string `hcl:"ca_cert,optional"`
	CAPath     string `hcl:"ca_path,optional"`
	ClientCert string `hcl:"client_cert,optional"`
	ClientKey  string `hcl:"client_key,optional"`
	ServerName string `hcl:"server_name,optional"`
	Insecure   bool   `hcl:"insecure,optional"`
}

// NomadConstraint is a constraint block, as in a job spec.
type NomadConstraint struct {
	Attribute string `hcl:"attribute"`
	Operator  string `hcl:"operator,optional"`
	Value     string `hcl:"value,optional"`
}

// NomadSpread is a spread block with its target blocks.
type NomadSpread struct {
	Attribute string              `hcl:"attribute"`
	Weight    int                 `hcl:"weight,optional"`
	Targets   []NomadSpreadTarget `hcl:"target,block"`
}

// NomadSpreadTarget is one target of a spread.
type NomadSpreadTarget struct {
	Value   string `hcl:"value,label"`
	Percent int    `hcl:"percent"`
}

// driverConfig turns the block into the driver's configuration, naming the field at
// fault when a value is unusable.
func (n *NomadConfig) driverConfig() (nomad.Config, error) {
	var errs []error
	dur := func(name, v string) time.Duration {
		d, err := parseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("nomad.%s: %v", name, err))
		}
		return d
	}
	tls := func(t *NomadTLS) nomad.TLSConfig {
		if t == nil {
			return nomad.TLSConfig{}
		}
		return nomad.TLSConfig{CACert: t.CACert, CAPath: t.CAPath, ClientCert: t.ClientCert, ClientKey: t.ClientKey, ServerName: t.ServerName, Insecure: t.Insecure}
	}
	c := nomad.Config{
		Config: jobspec.Config{
			Region: n.Region, Namespace: n.Namespace, Datacenters: n.Datacenters, NodePool: n.NodePool,
			Priority: n.Priority, Stack: n.Stack, Driver: n.Driver, Command: n.Command, Args: n.Args,
			SharedVolume: n.SharedVolume, SharedVolumePath: n.SharedVolumePath, VolumePlugin: n.VolumePlugin,
			VolumeMode: n.VolumeMode, EngineUID: n.EngineUID, EngineGID: n.EngineGID, VolumeParameters: n.VolumeParameters,
			ServiceName: n.ServiceName, ServiceTags: n.ServiceTags, Discovery: n.Discovery,
			CheckInterval: dur("check_interval", n.CheckInterval), CheckTimeout: dur("check_timeout", n.CheckTimeout),
			CPU: n.CPU, MemoryMB: n.Memory, MemoryMaxMB: n.MemoryMax,
			MinHealthyTime: dur("min_healthy_time", n.MinHealthyTime), HealthyDeadline: dur("healthy_deadline", n.HealthyDeadline),
			ProgressDeadline: dur("progress_deadline", n.ProgressDeadline), AutoRevert: n.AutoRevert,
			KillTimeout: dur("kill_timeout", n.KillTimeout), ShutdownDelay: dur("shutdown_delay", n.ShutdownDelay),
		},
		Address: n.Address, Token: n.Token, TLS: tls(n.TLS),
		ConsulAddress: n.ConsulAddress, ConsulToken: n.ConsulToken, ConsulDatacenter: n.ConsulDatacenter, ConsulTLS: tls(n.ConsulTLS),
		RateLimit: n.RateLimit, RateBurst: n.RateBurst, MaxConcurrent: n.MaxConcurrent, MaxRetries: n.MaxRetries,
		RequestTimeout: dur("request_timeout", n.RequestTimeout), StartTimeout: dur("start_timeout", n.StartTimeout),
		StopTimeout: dur("stop_timeout", n.StopTimeout), TemplateFile: n.TemplateFile,
	}
	for _, k := range n.Constraints {
		c.Constraints = append(c.Constraints, jobspec.Constraint{Attribute: k.Attribute, Operator: k.Operator, Value: k.Value})
	}
	for _, s := range n.Spreads {
		sp := jobspec.Spread{Attribute: s.Attribute, Weight: int8(s.Weight)}
		if s.Weight < 0 || s.Weight > 100 {
			errs = append(errs, fmt.Errorf("nomad.spread.weight: %d is not within 0..100", s.Weight))
		}
		for _, t := range s.Targets {
			if t.Percent < 0 || t.Percent > 100 {
				errs = append(errs, fmt.Errorf("nomad.spread.target.percent: %d is not within 0..100", t.Percent))
			}
			sp.Targets = append(sp.Targets, jobspec.SpreadTarget{Value: t.Value, Percent: uint8(t.Percent)})
		}
		c.Spreads = append(c.Spreads, sp)
	}
	if n.TemplateFile != "" {
		if _, err := os.Stat(n.TemplateFile); err != nil {
			errs = append(errs, fmt.Errorf("nomad.template_file: %v", err))
		}
	}
	if len(errs) > 0 {
		return c, errs[0]
	}
	return c, nil
}
