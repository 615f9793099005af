package telemetry

import (
	"context"
	"net/http"
	gosync "sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pulseproject/pulse/domain"
)

// maxOperationNames bounds the operation names metrics are labelled with:
// clients choose them, and each new one is a new series. Names beyond the
// first maxOperationNames are counted as "other".
const maxOperationNames = 200

// Metrics are Pulse's Prometheus metrics, on a registry of their own
// together with the Go runtime's and the process's.
type Metrics struct {
	registry       *prometheus.Registry
	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	recordsRead    *prometheus.CounterVec
	recordsWritten *prometheus.CounterVec
	runs           *prometheus.CounterVec
	launches       *prometheus.CounterVec
	crashes        *prometheus.CounterVec
	booksWarmed    prometheus.Counter

	mu    gosync.Mutex
	names map[string]bool
}

// NewMetrics registers Pulse's metrics on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		names:    map[string]bool{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulse_graphql_requests_total",
			Help: "GraphQL operations answered, by operation name and outcome (ok, or the first error's code).",
		}, []string{"operation", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pulse_graphql_request_duration_seconds",
			Help:    "Time from receiving a GraphQL operation to its response, by operation name.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"operation"}),
		recordsRead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulse_sync_records_read_total",
			Help: "Records received from connectors by finished sync runs, by source and stream.",
		}, []string{"source", "stream"}),
		recordsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulse_sync_records_written_total",
			Help: "Records stored by finished sync runs, by source and stream.",
		}, []string{"source", "stream"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulse_sync_runs_total",
			Help: "Sync runs finished, by source and status (succeeded, partial, failed, paused, interrupted).",
		}, []string{"source", "status"}),
		launches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulse_plugin_launches_total",
			Help: "Connector plugin processes started, by connector.",
		}, []string{"connector"}),
		crashes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulse_plugin_crashes_total",
			Help: "Connector plugin processes that died during a call, by connector.",
		}, []string{"connector"}),
		booksWarmed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulse_revenue_books_warmed_total",
			Help: "Accounts whose MRR history was priced again ahead of the reports after a sync changed it (the name is kept from when whole books were built).",
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.recordsRead, m.recordsWritten, m.runs, m.launches, m.crashes, m.booksWarmed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// SyncRunFinished counts a run whose outcome is stored, with its streams'
// records.
func (m *Metrics) SyncRunFinished(source string, run *domain.SyncRun) {
	m.runs.WithLabelValues(source, run.Status).Inc()
	for _, s := range run.Streams {
		m.recordsRead.WithLabelValues(source, s.Stream).Add(float64(s.RecordsRead))
		m.recordsWritten.WithLabelValues(source, s.Stream).Add(float64(s.RecordsWritten))
	}
}

// RevenuePriced counts accounts whose MRR history was priced again ahead
// of the reports.
func (m *Metrics) RevenuePriced(n int) { m.booksWarmed.Add(float64(n)) }

// PluginLaunched counts a connector process started.
func (m *Metrics) PluginLaunched(connector string) { m.launches.WithLabelValues(connector).Inc() }

// PluginCrashed counts a connector process that died during a call.
func (m *Metrics) PluginCrashed(connector string) { m.crashes.WithLabelValues(connector).Inc() }

// GraphQL is the gqlgen extension counting and timing operations.
// Subscriptions are left out: they last as long as their clients.
func (m *Metrics) GraphQL() graphql.HandlerExtension { return graphqlMetrics{m} }

type graphqlMetrics struct{ m *Metrics }

func (graphqlMetrics) ExtensionName() string                   { return "PulseMetrics" }
func (graphqlMetrics) Validate(graphql.ExecutableSchema) error { return nil }

func (g graphqlMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	name := "(invalid)"
	var start time.Time
	if graphql.HasOperationContext(ctx) {
		op := graphql.GetOperationContext(ctx)
		if op.Operation != nil && op.Operation.Operation == ast.Subscription {
			return resp
		}
		name = g.m.label(operationName(op))
		start = op.Stats.OperationStart
	}
	outcome := "ok"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "error"
		if code, ok := resp.Errors[0].Extensions["code"].(string); ok && code != "" {
			outcome = code
		}
	}
	g.m.requests.WithLabelValues(name, outcome).Inc()
	if !start.IsZero() {
		g.m.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	}
	return resp
}

// operationName is the operation's name, or "(anonymous)".
func operationName(op *graphql.OperationContext) string {
	name := op.OperationName
	if name == "" && op.Operation != nil {
		name = op.Operation.Name
	}
	if name == "" {
		return "(anonymous)"
	}
	return name
}

// label is name, or "other" once maxOperationNames names are in use.
func (m *Metrics) label(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if len(m.names) >= maxOperationNames {
		return "other"
	}
	m.names[name] = true
	return name
}
