package e2e

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/testing/tlstest"
)

// tlsProxy terminates TLS in front of the dev server (the pinned CLI
// serves plaintext only), as a TLS cluster's frontend would: it requires a
// client certificate the test's CA signed and speaks HTTP/2, as gRPC does.
type tlsProxy struct {
	addr string
	// verified counts connections whose client certificate was accepted;
	// refused those whose handshake failed.
	verified, refused atomic.Int64
}

func startTLSProxy(t *testing.T, certs tlstest.Files, backend string) *tlsProxy {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{certs.Server},
		ClientCAs:    certs.Pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		NextProtos:   []string{"h2"},
		MinVersion:   tls.VersionTLS12,
	})
	require.NoError(t, err)
	p := &tlsProxy{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.forward(conn.(*tls.Conn), backend)
			}()
		}
	}()
	return p
}

func (p *tlsProxy) forward(client *tls.Conn, backend string) {
	defer client.Close()
	if err := client.Handshake(); err != nil {
		p.refused.Add(1)
		return
	}
	p.verified.Add(1)
	server, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done
}

// The worker and the CLI reach a Temporal that requires TLS with a client
// certificate, configured only through the TEMPORAL_TLS_* variables the
// `temporal` CLI reads; without the certificate they are refused, and say
// so in one line.
func TestWorkerAndCLIOverTLSWithAClientCertificate(t *testing.T) {
	s := newStack(t)
	certs := tlstest.New(t)
	proxy := startTLSProxy(t, certs, s.envValue("TEMPORAL_ADDRESS"))
	base := withEnv(s.env, "TEMPORAL_ADDRESS="+proxy.addr, "TEMPORAL_TLS_SERVER_CA_CERT_PATH="+certs.CA,
		"TEMPORAL_TLS_SERVER_NAME=localhost", "BACKORDER_TASK_QUEUE=e2e-tls")
	secure := s.withEnv(withEnv(base, "TEMPORAL_TLS_CLIENT_CERT_PATH="+certs.ClientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH="+certs.ClientKey))
	secure.startWorker()

	secure.mustRun("import", "--file", "testdata/orders.json")
	var sweep sweepJSON
	secure.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 3, sweep.WorkflowsStarted)
	// Only the TLS worker polls e2e-tls: the stage proves it did the work.
	secure.awaitStage("SO-1001", "awaiting_fulfillment")
	assert.Positive(t, proxy.verified.Load(), "connections with a verified client certificate")

	refusedBefore := proxy.refused.Load()
	_, stderr, code := s.withEnv(base).run("status", "SO-1001")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "cannot reach Temporal at "+proxy.addr+` (namespace "default") over TLS:`)
	assert.Contains(t, stderr, "TEMPORAL_TLS_CLIENT_CERT_PATH", "a remote user is pointed at the TLS settings, not at make demo")
	assert.NotContains(t, stderr, "make demo")
	assert.Equal(t, 1, strings.Count(stderr, "\n"))
	assert.Greater(t, proxy.refused.Load(), refusedBefore, "the handshake without a client certificate was refused")
}
