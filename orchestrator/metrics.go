package orchestrator

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the orchestrator's Prometheus series. A nil *Metrics records nothing, so
// tests and tools can leave it out.
type Metrics struct {
	ops          *prometheus.CounterVec
	opDuration   *prometheus.HistogramVec
	turnDuration prometheus.Histogram
	deliveries   *prometheus.CounterVec
	findings     *prometheus.CounterVec
	orphans      prometheus.Gauge
	driverErrors *prometheus.CounterVec
	storeErrors  prometheus.Counter
	archiveErrs  prometheus.Counter
	archiveLag   prometheus.Gauge
}

// NewMetrics creates the series and registers them, with a collector that reads games
// by status, engine health and paused from the store's maintained counts at scrape
// time, and the outbox depth from depth (nil: not reported).
func NewMetrics(reg prometheus.Registerer, st Store, depth func(context.Context) (int, error)) *Metrics {
	m := &Metrics{
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "galaxy_operations_total", Help: "Lifecycle operations finished, by type, source and result.",
		}, []string{"op", "source", "result"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "galaxy_operation_duration_seconds", Help: "Time from an operation's start to its end.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"op"}),
		turnDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "galaxy_turn_generation_seconds", Help: "Engine time to generate one turn, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "galaxy_outbox_deliveries_total", Help: "Lobby notification attempts, by result.",
		}, []string{"result"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "galaxy_reconciler_findings_total", Help: "What reconciliation found and did, by kind.",
		}, []string{"kind"}),
		orphans: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "galaxy_reconciler_orphans", Help: "Engines running for no known game at the last pass.",
		}),
		driverErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "galaxy_driver_errors_total", Help: "Failed calls to Nomad, Consul or the local driver, by backend and call.",
		}, []string{"backend", "call"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "galaxy_store_errors_total", Help: "Store commits that could not be written (a full or failing disk).",
		}),
		archiveErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "galaxy_archive_errors_total", Help: "Snapshots that could not be taken or written to the archive.",
		}),
		archiveLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "galaxy_archive_lag_turns", Help: "Turns generated but not archived, summed over the games that should run (at the last reconciliation).",
		}),
	}
	reg.MustRegister(m.ops, m.opDuration, m.turnDuration, m.deliveries, m.findings, m.orphans, m.driverErrors, m.storeErrors, m.archiveErrs, m.archiveLag,
		&storeCollector{store: st, depth: depth})
	return m
}

func (m *Metrics) opDone(op *Operation, d time.Duration) {
	if m == nil {
		return
	}
	m.ops.WithLabelValues(string(op.Op), string(op.Source), op.Status).Inc()
	m.opDuration.WithLabelValues(string(op.Op)).Observe(d.Seconds())
}

func (m *Metrics) turnDone(d time.Duration) {
	if m != nil {
		m.turnDuration.Observe(d.Seconds())
	}
}

// Delivery records one outbox attempt; it fits Outbox.OnDelivery.
func (m *Metrics) Delivery(_ *Event, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "failed"
	}
	m.deliveries.WithLabelValues(result).Inc()
}

// Reconciled records a reconciliation pass; it fits Reconciler.OnReport.
func (m *Metrics) Reconciled(r *ReconcileReport) {
	if m == nil {
		return
	}
	m.findings.WithLabelValues("restarted").Add(float64(len(r.Restarted)))
	m.findings.WithLabelValues("stopped").Add(float64(len(r.Stopped)))
	m.findings.WithLabelValues("refreshed").Add(float64(len(r.Refreshed)))
	m.findings.WithLabelValues("orphan").Add(float64(len(r.Orphans)))
	m.findings.WithLabelValues("orphan_removed").Add(float64(r.OrphansRemoved))
	m.findings.WithLabelValues("error").Add(float64(len(r.Errors)))
	m.orphans.Set(float64(len(r.Orphans)))
	m.findings.WithLabelValues("archived").Add(float64(len(r.Archived)))
	m.archiveLag.Set(float64(r.ArchiveLag))
}

func (m *Metrics) archiveError() {
	if m != nil {
		m.archiveErrs.Inc()
	}
}

// StoreError counts a commit the store could not write; it fits store.WithOnError.
func (m *Metrics) StoreError(error) {
	if m != nil {
		m.storeErrors.Inc()
	}
}

// DriverError counts a failed call to a driver's backend ("nomad", "consul", "local").
func (m *Metrics) DriverError(backend, call string) {
	if m != nil {
		m.driverErrors.WithLabelValues(backend, call).Inc()
	}
}

var (
	gamesDesc  = prometheus.NewDesc("galaxy_games", "Games by runtime status.", []string{"status"}, nil)
	pausedDesc = prometheus.NewDesc("galaxy_games_paused", "Games with the paused flag set.", nil, nil)
	healthDesc = prometheus.NewDesc("galaxy_engine_health", "Engines by last known health.", []string{"health"}, nil)
	depthDesc  = prometheus.NewDesc("galaxy_outbox_depth", "Lobby notifications not yet delivered.", nil, nil)
	// enginesDesc says what the games cost the cluster: engines that should be up
	// (running), asleep (state in the archive, nothing on the cluster but a kept volume),
	// and none (not started, stopped, failed to start, finished or removed).
	enginesDesc = prometheus.NewDesc("galaxy_engines", "Games by what their engine is: running, asleep or none.", []string{"state"}, nil)
)

// Engine states of galaxy_engines.
const (
	EngineStateRunning = "running"
	EngineStateAsleep  = "asleep"
	EngineStateNone    = "none"
)

// engineState is the galaxy_engines state of a game in status.
func engineState(status string) string {
	switch {
	case status == StatusAsleep:
		return EngineStateAsleep
	case statusRules[status].active:
		return EngineStateRunning
	}
	return EngineStateNone
}

// storeCollector reads gauges at scrape time from what the store maintains (counts of
// runtimes, the event cursor): a few keys, whatever the number of games.
type storeCollector struct {
	store Store
	depth func(context.Context) (int, error)
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- gamesDesc
	ch <- pausedDesc
	ch <- healthDesc
	ch <- depthDesc
	ch <- enginesDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var counts RuntimeCounts
	if err := c.store.View(ctx, func(tx Tx) (err error) {
		counts, err = tx.RuntimeCounts()
		return err
	}); err != nil {
		return
	}
	health := map[string]int{}
	engines := map[string]int{EngineStateRunning: 0, EngineStateAsleep: 0, EngineStateNone: 0}
	for _, s := range Statuses {
		n := 0
		for h, k := range counts.ByStatus[s] {
			n += k
			if statusRules[s].active {
				if h == "" {
					h = HealthUnknown
				}
				health[h] += k
			}
		}
		ch <- prometheus.MustNewConstMetric(gamesDesc, prometheus.GaugeValue, float64(n), s)
		engines[engineState(s)] += n
	}
	for st, n := range engines {
		ch <- prometheus.MustNewConstMetric(enginesDesc, prometheus.GaugeValue, float64(n), st)
	}
	for h, n := range health {
		ch <- prometheus.MustNewConstMetric(healthDesc, prometheus.GaugeValue, float64(n), h)
	}
	ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, float64(counts.Paused))
	if c.depth != nil {
		if n, err := c.depth(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(n))
		}
	}
}
