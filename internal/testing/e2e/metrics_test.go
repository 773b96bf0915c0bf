package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/fakes/twiliofake"
)

// The worker's metrics and health, scraped during a run and checked
// against it: what the sweep found and started, each notice by channel and
// outcome, episodes by stage, revenue at risk per currency, the SDK's own
// metrics; /healthz and /readyz.
func TestMetricsAndHealthDuringARun(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := newStack(t, "BACKORDER_METRICS_ADDR="+addr)
	base := "http://" + addr
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, body := get(c, base+"/readyz")
		assert.Equal(c, http.StatusOK, code, body)
	}, 30*time.Second, 250*time.Millisecond, "the worker never got ready")
	code, body := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	s.sweepFixtures()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		m := scrape(c, base+"/metrics")
		assert.Equal(c, 3.0, sumOf(m, `backorder_orders_swept_total`), "orders the sweep found")
		assert.Equal(c, 3.0, sumOf(m, `backorder_workflows_started_total`))
		assert.Equal(c, 3.0, sumOf(m, `backorder_notifications_total`, `channel="email"`, `outcome="recorded"`), "one delay email per order")
		assert.Equal(c, 1.0, sumOf(m, `backorder_notifications_total`, `channel="sms"`, `outcome="recorded"`), "one SMS: SO-1002")
		assert.Equal(c, 3.0, m[`backorder_episodes_open{stage="awaiting_fulfillment"}`])
		assert.Equal(c, 0.0, m[`backorder_episodes_open{stage="escalated"}`])
		assert.Equal(c, 1539.98, m[`backorder_revenue_at_risk{currency="USD"}`])
		assert.Equal(c, 1000.0, m[`backorder_revenue_at_risk{currency="EUR"}`])
		assert.Positive(c, m[`backorder_last_sweep_duration_seconds`])
		assert.Positive(c, sumOf(m, `temporal_workflow_completed_total`, `workflow_type="SweepWorkflow"`), "the SDK's own metrics")
	}, 30*time.Second, 500*time.Millisecond)

	s.mustRun("fulfill", "SO-1002")
	s.awaitStage("SO-1002", "fulfilled")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		m := scrape(c, base+"/metrics")
		assert.Equal(c, 2.0, m[`backorder_episodes_open{stage="awaiting_fulfillment"}`])
		assert.Equal(c, 39.98, m[`backorder_revenue_at_risk{currency="USD"}`])
	}, 30*time.Second, 500*time.Millisecond)
}

func get(t assert.TestingT, url string) (int, string) {
	resp, err := http.Get(url)
	if !assert.NoError(t, err) {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape reads a Prometheus text page into series (name and labels as
// printed) → value.
func scrape(t assert.TestingT, url string) map[string]float64 {
	code, body := get(t, url)
	assert.Equal(t, http.StatusOK, code)
	out := map[string]float64{}
	lines := bufio.NewScanner(strings.NewReader(body))
	for lines.Scan() {
		line := lines.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// sumOf adds the series of metric (any labels) that carry every label
// given: the SDK adds its own (namespace, task queue, activity type...).
func sumOf(m map[string]float64, metric string, labels ...string) float64 {
	total := 0.0
	for series, v := range m {
		name, rest, _ := strings.Cut(series, "{")
		if name != metric {
			continue
		}
		matches := true
		for _, l := range labels {
			matches = matches && strings.Contains(rest, l)
		}
		if matches {
			total += v
		}
	}
	return total
}

// dashboardPath is the Grafana dashboard for the worker's metrics.
const dashboardPath = "../../../deploy/grafana/backorders-dashboard.json"

// dashboard is what the check reads of a Grafana dashboard's JSON.
type dashboard struct {
	Title  string
	Panels []struct {
		ID      int
		Title   string
		Type    string
		Targets []struct{ Expr string }
	}
}

// The dashboard's every query names metrics the worker really exports: a
// run with the provider fakes (so provider latency is exported too),
// scraped once its emails and SMS went out, and the dashboard's PromQL
// checked against the names on that page. Every metric the process
// records itself has a panel.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile(dashboardPath)
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(raw, &d), "the dashboard is JSON")
	require.NotEmpty(t, d.Title)
	require.NotEmpty(t, d.Panels)

	const apiKey, sid, token = "SG.dashboard-key", "AC00000000000000000000000000000da5", "dashboardtoken"
	sg := sendgridfake.New(apiKey)
	t.Cleanup(sg.Close)
	tw := twiliofake.New(sid, token)
	t.Cleanup(tw.Close)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := newStack(t, "BACKORDER_METRICS_ADDR="+addr,
		"SENDGRID_API_KEY="+apiKey, "SENDGRID_FROM=backorders@shop.example", "SENDGRID_BASE_URL="+sg.URL,
		"TWILIO_ACCOUNT_SID="+sid, "TWILIO_AUTH_TOKEN="+token, "TWILIO_FROM=+14155552671", "TWILIO_BASE_URL="+tw.URL,
		"WAREHOUSE_MANAGER_PHONE=+14155550100")
	s.sweepFixtures()
	exported := map[string]bool{}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		m := scrape(c, "http://"+addr+"/metrics")
		assert.Equal(c, 3.0, sumOf(m, "backorder_notifications_total", `channel="email"`, `outcome="sent"`))
		assert.Equal(c, 1.0, sumOf(m, "backorder_notifications_total", `channel="sms"`, `outcome="sent"`))
		for series := range m {
			name, _, _ := strings.Cut(series, "{")
			exported[name] = true
		}
	}, 60*time.Second, 500*time.Millisecond)

	referenced := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		assert.False(t, ids[p.ID], "panel id %d is used twice", p.ID)
		ids[p.ID] = true
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		for _, target := range p.Targets {
			names := promQLMetricNames(target.Expr)
			assert.NotEmpty(t, names, "panel %q: %q names no metric", p.Title, target.Expr)
			for _, name := range names {
				referenced[name] = true
				assert.True(t, exported[name] || exported[name+"_count"],
					"panel %q queries %s, which the worker does not export (it exports: %s)", p.Title, name, strings.Join(slices.Sorted(maps.Keys(exported)), " "))
			}
		}
	}
	for _, own := range []string{
		"backorder_orders_swept_total", "backorder_workflows_started_total", "backorder_episodes_open",
		"backorder_escalations_total", "backorder_revenue_at_risk", "backorder_notifications_total",
		"backorder_provider_latency_seconds", "backorder_last_sweep_duration_seconds",
	} {
		assert.True(t, referenced[own] || referenced[own+"_count"] || referenced[own+"_sum"], "no panel shows %s", own)
	}
}

var (
	promQLStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promQLMatchers  = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	promQLGroupings = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promQLNumbers   = regexp.MustCompile(`\b[0-9][\w.]*`)
	promQLWord      = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	promQLKeywords  = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "offset": true, "and": true, "or": true, "unless": true, "inf": true, "nan": true}
)

// promQLMetricNames are the metric names in a PromQL expression: what is
// left once strings, label matchers, ranges, groupings and numbers are cut
// out, less function names (a word before a parenthesis) and keywords.
func promQLMetricNames(expr string) []string {
	for _, cut := range []*regexp.Regexp{promQLStrings, promQLMatchers, promQLGroupings, promQLNumbers} {
		expr = cut.ReplaceAllString(expr, " ")
	}
	var names []string
	for _, w := range promQLWord.FindAllString(expr, -1) {
		if strings.HasSuffix(w, "(") || promQLKeywords[strings.ToLower(w)] {
			continue
		}
		names = append(names, w)
	}
	return names
}

func TestPromQLMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (stage) (backorder_episodes_open)`:                                                                {"backorder_episodes_open"},
		`sum(increase(backorder_notifications_total{channel="email", outcome=~"sent|failed"}[$__rate_interval]))`: {"backorder_notifications_total"},
		`histogram_quantile(0.95, sum by (le) (rate(x_bucket{a="b"}[5m])))`:                                       {"x_bucket"},
		`rate(a_sum[5m]) / on (provider) rate(a_count[5m]) > bool 0`:                                              {"a_sum", "a_count"},
		`max without (instance) (temporal_x_seconds{quantile="0.95", workflow_type!~"Sweep.*"})`:                  {"temporal_x_seconds"},
		`label_replace(up, "dst", "$1", "src", "(.*)")`:                                                           {"up"},
		`1 - 2e3 * 1.5`: nil,
	} {
		assert.Equal(t, want, promQLMetricNames(expr), expr)
	}
}
