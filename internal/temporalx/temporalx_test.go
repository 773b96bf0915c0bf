package temporalx_test

import (
	"crypto/tls"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/temporalx"
	"github.com/acme/backorders/internal/testing/tlstest"
)

var quiet = slog.New(slog.DiscardHandler)

// noConfigFile keeps a developer's own temporal.toml out of the test.
func noConfigFile(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	for _, v := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_PROFILE", "TEMPORAL_TLS"} {
		t.Setenv(v, "")
		require.NoError(t, os.Unsetenv(v))
	}
}

// Nothing set: this project's defaults. A temporal.toml profile, chosen
// with TEMPORAL_PROFILE, as the temporal CLI reads it; variables win over
// the file.
func TestOptionsFollowTheTemporalCLI(t *testing.T) {
	noConfigFile(t)
	cfg := config.Config{TemporalAddress: "127.0.0.1:7233", TemporalNamespace: "default"}
	opts, err := temporalx.Options(cfg, quiet)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7233", opts.HostPort)
	assert.Equal(t, "default", opts.Namespace)
	assert.Nil(t, opts.ConnectionOptions.TLS)

	file := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
[profile.prod]
address = "backorders.a1b2c.tmprl.cloud:7233"
namespace = "backorders.a1b2c"
api_key = "from-the-file"
`), 0o600))
	t.Setenv("TEMPORAL_CONFIG_FILE", file)
	t.Setenv("TEMPORAL_PROFILE", "prod")
	opts, err = temporalx.Options(cfg, quiet)
	require.NoError(t, err)
	assert.Equal(t, "backorders.a1b2c.tmprl.cloud:7233", opts.HostPort)
	assert.Equal(t, "backorders.a1b2c", opts.Namespace)
	assert.NotNil(t, opts.Credentials)
	assert.NotNil(t, opts.ConnectionOptions.TLS, "an API key turns TLS on")

	t.Setenv("TEMPORAL_NAMESPACE", "staging")
	opts, err = temporalx.Options(cfg, quiet)
	require.NoError(t, err)
	assert.Equal(t, "staging", opts.Namespace)

	t.Setenv("TEMPORAL_PROFILE", "missing")
	_, err = temporalx.Options(cfg, quiet)
	require.ErrorContains(t, err, "reading the Temporal client settings (TEMPORAL_* variables, temporal.toml)")
}

// TEMPORAL_API_KEY reaches the server as the SDK sends it (gRPC metadata
// "authorization: Bearer KEY", over TLS), and never appears in the error.
func TestAPIKeyIsSentAsTheSDKSendsIt(t *testing.T) {
	noConfigFile(t)
	certs := tlstest.New(t)
	var mu sync.Mutex
	var got []string
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{certs.Server}})),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			md, _ := metadata.FromIncomingContext(stream.Context())
			mu.Lock()
			got = append(got, md.Get("authorization")...)
			mu.Unlock()
			return nil
		}),
	)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)

	const key = "tmprl-test-api-key-1234567890"
	t.Setenv("TEMPORAL_ADDRESS", l.Addr().String())
	t.Setenv("TEMPORAL_API_KEY", key)
	t.Setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", certs.CA)
	t.Setenv("TEMPORAL_TLS_SERVER_NAME", "localhost")
	c, err := temporalx.Dial(config.Config{TemporalNamespace: "default"}, quiet, nil)
	if err == nil {
		c.Close()
	} else {
		assert.NotContains(t, err.Error(), key)
		assert.Contains(t, err.Error(), "over TLS with an API key")
	}
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, got, "the server saw a call")
	assert.Equal(t, "Bearer "+key, got[0])
}
