package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
