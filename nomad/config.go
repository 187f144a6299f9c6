package nomad

import (
	"fmt"
	"os"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	consul "github.com/hashicorp/consul/api"
	"github.com/hashicorp/nomad/api"
)

// Config configures the Nomad driver and its discovery. The zero value works against
// a local agent: every address, token and TLS file left empty comes from the standard
// environment (NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_REGION, NOMAD_CACERT,
// NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY, NOMAD_TLS_SERVER_NAME, NOMAD_SKIP_VERIFY;
// CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, CONSUL_CACERT, CONSUL_CLIENT_CERT,
// CONSUL_CLIENT_KEY, CONSUL_TLS_SERVER_NAME, CONSUL_HTTP_SSL). HCL names in brackets.
type Config struct {
	// Config is the job rendering (driver, volumes, placement, resources, policies,
	// discovery provider); see jobspec.Config.
	jobspec.Config

	// Address [address] and Token [token] of the Nomad API.
	Address string
	Token   string
	// TLS [tls block] for the Nomad API.
	TLS TLSConfig

	// ConsulAddress [consul_address], ConsulToken [consul_token], ConsulDatacenter
	// [consul_datacenter] and ConsulTLS [consul_tls block]: Consul's API, used when
	// Discovery is "consul".
	ConsulAddress    string
	ConsulToken      string
	ConsulDatacenter string
	ConsulTLS        TLSConfig

	// RateLimit [rate_limit] caps calls to Nomad and Consul per second (default 50),
	// with bursts of RateBurst [rate_burst] (default 25); a start makes about 9. A 429
	// halves the rate for a while, so an overloaded cluster slows galaxyd down
	// instead of failing games.
	RateLimit float64
	RateBurst int
	// MaxConcurrent [max_concurrent] caps short calls in flight (default 8); blocking
	// queries do not count against it.
	MaxConcurrent int
	// MaxRetries [max_retries] retries of a call that got 429, 5xx or a network error
	// (default 5), with exponential backoff and jitter from RetryBaseDelay
	// [retry_base_delay] (default 200ms) up to RetryMaxDelay [retry_max_delay] (10s).
	MaxRetries     int
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// RequestTimeout [request_timeout] bounds one short call (default 30s).
	RequestTimeout time.Duration
	// WaitTime [wait_time] is how long one blocking query may wait (default 5m).
	WaitTime time.Duration
	// StartTimeout [start_timeout] bounds Start from register to a passing health
	// check, on top of the caller's context (default 10m; exec starts take 8-23 s).
	StartTimeout time.Duration
	// StopTimeout [stop_timeout] bounds waiting for allocations to stop (default 2m).
	StopTimeout time.Duration
	// WatchInterval [watch_interval] is the least time between two queries of one
	// game's endpoint watch (default 250ms): a rate limit, not a poll.
	WatchInterval time.Duration
	// CheckPollInterval [check_poll_interval]: with Discovery "nomad", check results
	// carry no index to block on, so a not-yet-passing instance is re-read this often
	// (default 1s) and a passing one every CheckRefreshInterval [check_refresh_interval]
	// (default 30s) or on any change of the service's registrations.
	CheckPollInterval    time.Duration
	CheckRefreshInterval time.Duration
	// TemplateFile [template_file] is read into Template at NewDriver.
	TemplateFile string
}

// TLSConfig names TLS files for an API client; empty fields come from the
// environment.
type TLSConfig struct {
	CACert     string // [ca_cert]
	CAPath     string // [ca_path]
	ClientCert string // [client_cert]
	ClientKey  string // [client_key]
	ServerName string // [server_name]
	Insecure   bool   // [insecure] skips verification; for tests only
}

// withDefaults fills unset tuning fields.
func (c Config) withDefaults() Config {
	c.Config = c.Config.WithDefaults()
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.RateLimit <= 0 {
		c.RateLimit = 50
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 25
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 8
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 5
	}
	def(&c.RetryBaseDelay, 200*time.Millisecond)
	def(&c.RetryMaxDelay, 10*time.Second)
	def(&c.RequestTimeout, 30*time.Second)
	def(&c.WaitTime, 5*time.Minute)
	def(&c.StartTimeout, 10*time.Minute)
	def(&c.StopTimeout, 2*time.Minute)
	def(&c.WatchInterval, 250*time.Millisecond)
	def(&c.CheckPollInterval, time.Second)
	def(&c.CheckRefreshInterval, 30*time.Second)
	return c
}

// nomadClient builds the Nomad API client: environment first, then the config.
func (c Config) nomadClient() (*api.Client, error) {
	ac := api.DefaultConfig()
	if c.Address != "" {
		ac.Address = c.Address
	}
	if c.Token != "" {
		ac.SecretID = c.Token
	}
	if c.Region != "" {
		ac.Region = c.Region
	}
	if c.Namespace != "" {
		ac.Namespace = c.Namespace
	}
	t := ac.TLSConfig
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&t.CACert, c.TLS.CACert)
	set(&t.CAPath, c.TLS.CAPath)
	set(&t.ClientCert, c.TLS.ClientCert)
	set(&t.ClientKey, c.TLS.ClientKey)
	set(&t.TLSServerName, c.TLS.ServerName)
	if c.TLS.Insecure {
		t.Insecure = true
	}
	cl, err := api.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("nomad client: %w", err)
	}
	return cl, nil
}

// consulClient builds the Consul API client: environment first, then the config.
func (c Config) consulClient() (*consul.Client, error) {
	cc := consul.DefaultConfig()
	if c.ConsulAddress != "" {
		cc.Address = c.ConsulAddress
	}
	if c.ConsulToken != "" {
		cc.Token = c.ConsulToken
	}
	if c.ConsulDatacenter != "" {
		cc.Datacenter = c.ConsulDatacenter
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cc.TLSConfig.CAFile, c.ConsulTLS.CACert)
	set(&cc.TLSConfig.CAPath, c.ConsulTLS.CAPath)
	set(&cc.TLSConfig.CertFile, c.ConsulTLS.ClientCert)
	set(&cc.TLSConfig.KeyFile, c.ConsulTLS.ClientKey)
	set(&cc.TLSConfig.Address, c.ConsulTLS.ServerName)
	if c.ConsulTLS.Insecure {
		cc.TLSConfig.InsecureSkipVerify = true
	}
	if c.ConsulTLS.CACert != "" || c.ConsulTLS.ClientCert != "" {
		cc.Scheme = "https"
	}
	cl, err := consul.NewClient(cc)
	if err != nil {
		return nil, fmt.Errorf("consul client: %w", err)
	}
	return cl, nil
}

// secrets are the tokens in use, whatever their source, so errors can be scrubbed.
func (c Config) secrets() []string {
	var s []string
	for _, v := range []string{c.Token, c.ConsulToken, os.Getenv("NOMAD_TOKEN"), os.Getenv("CONSUL_HTTP_TOKEN")} {
		if len(v) >= 4 {
			s = append(s, v)
		}
	}
	return s
}
