// Package temporalx connects to Temporal the way both binaries need: with
// the client settings the `temporal` CLI reads (TEMPORAL_* variables and
// the temporal.toml profile, through the SDK's envconfig), a structured
// logger, and an error that says what to do when the server is not there.
package temporalx

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"

	"github.com/acme/backorders/internal/config"
)

// DialTimeout bounds connecting: an address where nothing answers (or
// something that is not Temporal accepts the connection and stays silent)
// fails within it rather than hanging the command.
const DialTimeout = 5 * time.Second

// Options are the client options for cfg: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and
// the temporal.toml file (TEMPORAL_CONFIG_FILE, else the user's config
// directory), exactly as the `temporal` CLI reads them; cfg's address and
// namespace (this project's defaults) where neither sets one.
func Options(cfg config.Config, logger *slog.Logger) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
	if err != nil {
		return opts, fmt.Errorf("reading the Temporal client settings (TEMPORAL_* variables, temporal.toml): %w", err)
	}
	if opts.HostPort == "" {
		opts.HostPort = cfg.TemporalAddress
	}
	if opts.Namespace == "" {
		opts.Namespace = cfg.TemporalNamespace
	}
	opts.Logger = log.NewStructuredLogger(logger)
	opts.ConnectionOptions.GetSystemInfoTimeout = DialTimeout
	return opts, nil
}

// Dial connects to the Temporal frontend the settings name; metrics, when
// not nil, receives the SDK's client and worker metrics.
func Dial(cfg config.Config, logger *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts, err := Options(cfg, logger)
	if err != nil {
		return nil, err
	}
	opts.MetricsHandler = metrics
	// The context bounds only the eager first call (GetSystemInfo); the
	// connection the client keeps afterwards does not depend on it.
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %q) over %s: %s: %w",
			opts.HostPort, opts.Namespace, security(opts), whatToDo(opts), err)
	}
	return c, nil
}

// security says how the connection was made, never with a credential.
func security(opts client.Options) string {
	switch {
	case opts.Credentials != nil:
		return "TLS with an API key"
	case opts.ConnectionOptions.TLS != nil && len(opts.ConnectionOptions.TLS.Certificates) > 0:
		return "TLS with a client certificate"
	case opts.ConnectionOptions.TLS != nil:
		return "TLS"
	}
	return "plaintext"
}

// whatToDo points a local plaintext user at the dev server, and anyone
// connecting to a cluster at the settings that reach it.
func whatToDo(opts client.Options) string {
	if opts.Credentials != nil || opts.ConnectionOptions.TLS != nil {
		return "check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, and TEMPORAL_API_KEY or TEMPORAL_TLS_CLIENT_CERT_PATH / " +
			"TEMPORAL_TLS_CLIENT_KEY_PATH and TEMPORAL_TLS_SERVER_CA_CERT_PATH (or the temporal.toml profile, TEMPORAL_PROFILE)"
	}
	host, _, err := net.SplitHostPort(opts.HostPort)
	if ip := net.ParseIP(host); err == nil && (host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return "start it (make demo starts a dev server) or set TEMPORAL_ADDRESS"
	}
	return "check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE; for Temporal Cloud or a cluster with TLS set TEMPORAL_API_KEY " +
		"or TEMPORAL_TLS_CLIENT_CERT_PATH / TEMPORAL_TLS_CLIENT_KEY_PATH (or a temporal.toml profile: TEMPORAL_PROFILE)"
}
