// Package temporalx connects to Temporal the way both binaries need:
// with the configured address and namespace, a structured logger and an
// error that says what to do when the server is not there.
package temporalx

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/acme/backorders/internal/config"
)

// DialTimeout bounds connecting: an address where nothing answers (or
// something that is not Temporal accepts the connection and stays silent)
// fails within it rather than hanging the command.
const DialTimeout = 5 * time.Second

// Dial connects to the Temporal frontend named by the configuration.
func Dial(cfg config.Config, logger *slog.Logger) (client.Client, error) {
	// The context bounds only the eager first call (GetSystemInfo); the
	// connection the client keeps afterwards does not depend on it.
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    log.NewStructuredLogger(logger),
		ConnectionOptions: client.ConnectionOptions{
			GetSystemInfoTimeout: DialTimeout,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %q): start it (make demo starts a dev server) or set TEMPORAL_ADDRESS: %w",
			cfg.TemporalAddress, cfg.TemporalNamespace, err)
	}
	return c, nil
}
