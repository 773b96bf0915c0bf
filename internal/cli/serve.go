package cli

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/logging"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/web"
)

func newServeCmd(e *env) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT]",
		Short: "Run the web app for people and the JSON API for systems, until interrupted",
		Long: `serve runs one HTTP server with the web app (sign-in, "My tasks", the task
pages, "Backorders", the order pages and the "Weekly report") and the JSON
API under /api/v1/ (see docs/api.md). It acts through the same operations
as the other commands, and records the signed-in user, or the API token's
name, as who acted. It stops on SIGINT or SIGTERM, letting requests in
flight finish.

People sign in with the accounts of ` + "`starter users add`" + `, or through
OpenID Connect when BACKORDER_OIDC_ISSUER is set. The server needs
PostgreSQL at start; if Temporal does not answer, it still starts, and
the actions that need it say so until it does.

The address is --addr, else BACKORDER_HTTP_ADDR, else 127.0.0.1:8080 (this
machine only). Set BACKORDER_PUBLIC_URL to the https:// address people
use when a TLS-terminating proxy is in front: the session cookie is then
marked Secure. See docs/web.md.`,
		Example: `  starter serve
  BACKORDER_HTTP_ADDR=0.0.0.0:8080 BACKORDER_PUBLIC_URL=https://backorders.example.com starter serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := e.cfg
			if addr != "" {
				w, err := cfg.Web.WithAddr(addr)
				if err != nil {
					return badValue("--addr %q %v", addr, err)
				}
				cfg.Web = w
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			db, err := e.store(ctx)
			if err != nil {
				return err
			}
			logger := logging.New(e.err, cfg.Log)
			temporal := &lazyTemporal{dial: e.client}
			if _, err := temporal.client(); err != nil {
				logger.Warn("Temporal does not answer yet; pages that act on orders will say so until it does", "err", err)
			}
			ops := &operations.Service{Store: db, DialTemporal: temporal.client, Config: cfg}
			srv, err := web.New(web.Deps{Ops: ops, Store: db, Config: cfg, Log: logger})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cfg.Web.HTTPAddr)
			if err != nil {
				return fmt.Errorf("cannot listen on %s: %w: free it, or choose another address with --addr or BACKORDER_HTTP_ADDR", cfg.Web.HTTPAddr, err)
			}
			fmt.Fprintf(e.out, "serving the web app at %s and the JSON API at %s/api/v1/ (listening on %s); stop with Ctrl-C\n",
				cfg.Web.PublicURL, cfg.Web.PublicURL, ln.Addr())
			return srv.Run(ctx, ln)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "listen on HOST:PORT (default: BACKORDER_HTTP_ADDR, else 127.0.0.1:8080)")
	return cmd
}

// lazyTemporal dials Temporal when an operation first needs it, and again
// after a failure, one request at a time: the server starts and shows its
// pages while Temporal is down.
type lazyTemporal struct {
	mu   sync.Mutex
	dial func() (client.Client, error)
}

func (l *lazyTemporal) client() (client.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dial()
}
