package nomad

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	consul "github.com/hashicorp/consul/api"
	"github.com/hashicorp/nomad/api"
)

// Config configures the Nomad driver and its discovery. The zero value works against
// a local agent: every address, token and TLS file left empty comes from the standard
// environment (NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_REGION, NOMAD_CACERT,
// NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY, NOMAD_TLS_SERVER_NAME, NOMAD_SKIP_VERIFY;
// CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, CONSUL_CACERT, CONSUL_CLIENT_CERT,
// CONSUL_CLIENT_KEY, CONSUL_TLS_SERVER_NAME, CONSUL_HTTP_SSL). The hcl tags are the
// names in galaxyd's `nomad { ... }` block, which galaxyd decodes straight into this
// struct; durations are text ("30s"), zero meaning the default.
type Config struct {
	// Config is the job rendering (driver, volumes, placement, resources, policies,
	// discovery provider); its keys sit in the same block. See jobspec.Config.
	jobspec.Config

	// Address and Token of the Nomad API.
	Address string `hcl:"address,optional"`
	Token   string `hcl:"token,optional"`
	// TLS for the Nomad API.
	TLS TLSConfig `hcl:"tls,block"`

	// ConsulAddress, ConsulToken, ConsulDatacenter and ConsulTLS: Consul's API, used
	// when Discovery is "consul".
	ConsulAddress    string    `hcl:"consul_address,optional"`
	ConsulToken      string    `hcl:"consul_token,optional"`
	ConsulDatacenter string    `hcl:"consul_datacenter,optional"`
	ConsulTLS        TLSConfig `hcl:"consul_tls,block"`

	// RateLimit caps calls to Nomad and Consul per second (default 50), with bursts of
	// RateBurst (default 25); a start makes about 9. A 429 halves the rate for a while,
	// so an overloaded cluster slows galaxyd down instead of failing games.
	RateLimit float64 `hcl:"rate_limit,optional"`
	RateBurst int     `hcl:"rate_burst,optional"`
	// MaxConcurrent caps short calls in flight (default 8); blocking queries do not
	// count against it.
	MaxConcurrent int `hcl:"max_concurrent,optional"`
	// MaxRetries retries of a call that got 429, a transient 5xx or a network error
	// (default 5; negative: none), with exponential backoff and jitter from
	// RetryBaseDelay (default 200ms) up to RetryMaxDelay (10s). Nomad's deterministic
	// refusals (a volume that cannot be placed, a validation error) are not retried.
	MaxRetries     int                   `hcl:"max_retries,optional"`
	RetryBaseDelay orchestrator.Duration `hcl:"retry_base_delay,optional"`
	RetryMaxDelay  orchestrator.Duration `hcl:"retry_max_delay,optional"`
	// RequestTimeout bounds one short call (default 30s).
	RequestTimeout orchestrator.Duration `hcl:"request_timeout,optional"`
	// WaitTime is how long one blocking query may wait (default 1m, at most 5m).
	// It is also the longest the endpoint watch can miss a reset of the servers'
	// index that it was not told about.
	WaitTime orchestrator.Duration `hcl:"wait_time,optional"`
	// StartTimeout bounds Start from register to a passing health check, on top of
	// the caller's context (default 10m; exec starts take 8-23 s). A failed
	// replacement's revert gets as long again.
	StartTimeout orchestrator.Duration `hcl:"start_timeout,optional"`
	// StopTimeout bounds waiting for allocations to stop (default 2m).
	StopTimeout orchestrator.Duration `hcl:"stop_timeout,optional"`
	// WatchInterval is the least time between two queries of the endpoint watch
	// (default 250ms): a rate limit, not a poll.
	WatchInterval orchestrator.Duration `hcl:"watch_interval,optional"`
	// CheckPollInterval: with Discovery "nomad", check results carry no index to block
	// on, so a not-yet-passing instance is re-read this often (default 1s) and a
	// passing one every CheckRefreshInterval (default 30s) or on any change of the
	// service's registrations.
	CheckPollInterval    orchestrator.Duration `hcl:"check_poll_interval,optional"`
	CheckRefreshInterval orchestrator.Duration `hcl:"check_refresh_interval,optional"`
	// TemplateFile is read into Template at NewDriver.
	TemplateFile string `hcl:"template_file,optional"`

	// OnChange, when set, hears of every engine that changed without a Start asking:
	// the endpoint watch saw the game's instance move to another allocation, node or
	// address (Running true, with Endpoint, AllocID, NodeID), or its last passing
	// instance go (Running false, Reason says what the watch saw). It is called from
	// the watch goroutine, after the cache is updated, with no lock held.
	OnChange orchestrator.InstanceObserver
	// OnCallError, when set, is called once for every failed call to Nomad or Consul
	// (each attempt, retried or not), with the backend ("nomad" or "consul") and the
	// call's fixed name ("register job", "list allocations", "watch endpoints", ...).
	// Answers that are part of normal operation (404 for a job that does not exist,
	// the caller's own cancellation) are not failures. err is scrubbed of tokens.
	OnCallError func(backend, call string, err error)
}

// TLSConfig names TLS files for an API client; empty fields come from the
// environment.
type TLSConfig struct {
	CACert     string `hcl:"ca_cert,optional"`
	CAPath     string `hcl:"ca_path,optional"`
	ClientCert string `hcl:"client_cert,optional"`
	ClientKey  string `hcl:"client_key,optional"`
	ServerName string `hcl:"server_name,optional"`
	Insecure   bool   `hcl:"insecure,optional"` // skips verification; for tests only
}

// maxWaitTime caps WaitTime: a blocking query that waits longer hides a reset of the
// servers' index for that long.
const maxWaitTime = 5 * time.Minute

// Validate reports the first setting the driver cannot use: the job rendering's
// (jobspec.Config.Validate) or its own, as an EINVALID *orchestrator.Error whose
// Field is the HCL key.
func (c Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	switch {
	case c.RateLimit < 0:
		return orchestrator.FieldErrorf("rate_limit", "rate_limit must not be negative")
	case c.RateBurst < 0:
		return orchestrator.FieldErrorf("rate_burst", "rate_burst must not be negative")
	case c.MaxConcurrent < 0:
		return orchestrator.FieldErrorf("max_concurrent", "max_concurrent must not be negative")
	case c.WaitTime.Std() > maxWaitTime:
		return orchestrator.FieldErrorf("wait_time", "wait_time must be at most %s, not %s", maxWaitTime, c.WaitTime)
	case c.RetryMaxDelay != 0 && c.RetryMaxDelay < c.RetryBaseDelay:
		return orchestrator.FieldErrorf("retry_max_delay", "retry_max_delay (%s) must not be shorter than retry_base_delay (%s)", c.RetryMaxDelay, c.RetryBaseDelay)
	}
	return nil
}

// withDefaults fills unset tuning fields.
func (c Config) withDefaults() Config {
	c.Config = c.Config.WithDefaults()
	def := func(d *orchestrator.Duration, v time.Duration) {
		if *d <= 0 {
			*d = orchestrator.Duration(v)
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
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	def(&c.RetryBaseDelay, 200*time.Millisecond)
	def(&c.RetryMaxDelay, 10*time.Second)
	def(&c.RequestTimeout, 30*time.Second)
	def(&c.WaitTime, time.Minute)
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
	if !strings.HasPrefix(ac.Address, "unix:") {
		// The api's own pool keeps GOMAXPROCS+1 idle connections: with blocking
		// queries waiting beside up to MaxConcurrent short calls, a thousand starts
		// dialled a new connection for most calls (a sixth of galaxyd's CPU).
		hc := &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          512,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		}}
		if err := api.ConfigureTLS(hc, ac.TLSConfig); err != nil {
			return nil, fmt.Errorf("nomad client: %w", err)
		}
		ac.HttpClient = hc
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
