package telemetry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCountersReachTheRegistry(t *testing.T) {
	m := New()
	defer m.Close()
	m.Handler.WithTags(map[string]string{"channel": "email"}).Counter("backorder_notifications").Inc(3)
	require.Eventually(t, func() bool {
		n, err := testutil.GatherAndCount(m.Registry, "backorder_notifications_total")
		return err == nil && n == 1
	}, 3*time.Second, 100*time.Millisecond)
	time.Sleep(1500 * time.Millisecond)
	err := testutil.GatherAndCompare(m.Registry, strings.NewReader(`
# HELP backorder_notifications_total backorder_notifications_total counter
# TYPE backorder_notifications_total counter
backorder_notifications_total{channel="email"} 3
`), "backorder_notifications_total")
	require.NoError(t, err)
}

// /readyz is 503, saying why, until every check passes and the worker
// polls; /healthz only says the process is up. Probe is the container
// health check built on them.
func TestHealthAndReadiness(t *testing.T) {
	var dbDown atomic.Bool
	dbDown.Store(true)
	ready := &Readiness{Checks: map[string]func(context.Context) error{
		"postgres": func(context.Context) error {
			if dbDown.Load() {
				return errors.New("connection refused")
			}
			return nil
		},
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	srv, err := Serve(addr, New(), ready)
	require.NoError(t, err)
	defer srv.Close()
	base := "http://" + addr

	assert.Equal(t, 0, Probe(base+"/healthz"))
	assert.Equal(t, 1, Probe(base+"/readyz"))
	resp, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, string(body), "postgres: connection refused")
	assert.Contains(t, string(body), "worker: not polling its task queue")

	dbDown.Store(false)
	ready.Polling(true)
	assert.Equal(t, 0, Probe(base+"/readyz"))
	ready.Polling(false)
	assert.Equal(t, 1, Probe(base+"/readyz"), "a stopping worker is not ready")
	assert.Equal(t, 1, Probe("http://127.0.0.1:1/healthz"))
}
