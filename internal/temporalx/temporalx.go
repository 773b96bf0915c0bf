// Package temporalx connects to Temporal the way both binaries need:
// with the configured address and namespace, a structured logger and an
// error that says what to do when the server is not there.
package temporalx

import (
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/acme/backorders/internal/config"
)

// Dial connects to the Temporal frontend named by the configuration.
func Dial(cfg config.Config, logger *slog.Logger) (client.Client, error) {
	c, err := client.Dial(client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    log.NewStructuredLogger(logger),
	})
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %q): start it (make demo starts a dev server) or set TEMPORAL_ADDRESS: %w",
			cfg.TemporalAddress, cfg.TemporalNamespace, err)
	}
	return c, nil
}
