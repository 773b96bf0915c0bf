// Package telemetry makes the worker observable: one Prometheus registry
// with the SDK's worker and client metrics (through its tally contrib, as
// temporalio/samples-go's metrics sample does), the counters activities
// record through the SDK's metrics handler, and gauges read from
// PostgreSQL at each scrape; served with /healthz and /readyz.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"

	"github.com/acme/backorders/internal/store"
)

// Metrics is the process's registry and the SDK handler that feeds it.
type Metrics struct {
	Registry *prometheus.Registry
	// Handler goes on client.Options: the SDK's own metrics, and those
	// activities record with activity.GetMetricsHandler, land in Registry.
	Handler client.MetricsHandler
	scope   io.Closer
}

// New makes an empty registry with the SDK's handler on it.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: reg})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	return &Metrics{
		Registry: reg,
		Handler:  sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)),
		scope:    closer,
	}
}

// Close flushes the SDK's scope.
func (m *Metrics) Close() error { return m.scope.Close() }

// Readiness says whether the worker can work: its dependencies answer and
// it polls its task queue.
type Readiness struct {
	// Checks run at each /readyz, each bounded by the request's context.
	Checks  map[string]func(context.Context) error
	polling atomic.Bool
}

// Polling marks the worker as polling (true) or stopping (false).
func (r *Readiness) Polling(on bool) { r.polling.Store(on) }

// Serve listens on addr and serves /metrics, /healthz (the process is up)
// and /readyz (every check passes and the worker polls) until Shutdown.
// It returns once listening, so a bad address fails at start.
func Serve(addr string, m *Metrics, ready *Readiness) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		var problems []error
		for name, check := range ready.Checks {
			if err := check(ctx); err != nil {
				problems = append(problems, errors.New(name+": "+err.Error()))
			}
		}
		if !ready.polling.Load() {
			problems = append(problems, errors.New("worker: not polling its task queue"))
		}
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, errors.Join(problems...).Error()+"\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, nil
}

// Gauges reads the state the metrics report from PostgreSQL.
type Gauges func(ctx context.Context) (store.Gauges, error)

// RegisterGauges exposes what read returns at each scrape (bounded to 2 s):
// episodes open by stage, escalations, revenue at risk per currency and
// the last sweep's duration. A failed read drops them from that scrape.
func (m *Metrics) RegisterGauges(read Gauges) error {
	return m.Registry.Register(&gaugeCollector{read: read})
}

var (
	episodesOpen = prometheus.NewDesc("backorder_episodes_open", "Open backorder episodes (incidents) by stage.", []string{"stage"}, nil)
	escalations  = prometheus.NewDesc("backorder_escalations_total", "Backorder episodes escalated, ever.", nil, nil)
	revenue      = prometheus.NewDesc("backorder_revenue_at_risk", "Value of the open episodes' backordered lines, per currency (exact amounts: the weekly report).", []string{"currency"}, nil)
	lastSweep    = prometheus.NewDesc("backorder_last_sweep_duration_seconds", "How long the last finished sweep took.", nil, nil)
)

type gaugeCollector struct{ read Gauges }

func (c *gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{episodesOpen, escalations, revenue, lastSweep} {
		ch <- d
	}
}

func (c *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	g, err := c.read(ctx)
	if err != nil {
		return // /readyz says why; the SDK's metrics still serve
	}
	for stage, n := range g.OpenEpisodes {
		ch <- prometheus.MustNewConstMetric(episodesOpen, prometheus.GaugeValue, float64(n), stage)
	}
	ch <- prometheus.MustNewConstMetric(escalations, prometheus.CounterValue, float64(g.Escalations))
	for currency, v := range g.RevenueAtRisk {
		ch <- prometheus.MustNewConstMetric(revenue, prometheus.GaugeValue, v.InexactFloat64(), currency)
	}
	ch <- prometheus.MustNewConstMetric(lastSweep, prometheus.GaugeValue, g.LastSweep.Seconds())
}

// Probe fetches url within 3 s and returns the exit status of a health
// check: 0 on HTTP 200, 1 otherwise (saying why on standard error).
func Probe(url string) int {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "probe: %s: HTTP %d: %s", url, resp.StatusCode, body)
		return 1
	}
	return 0
}
