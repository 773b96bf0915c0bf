package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/internal/testing/localproc"
)

// startDevServer runs the pinned dev server with the fast flags and a
// SQLite file, as make demo does, on a free port.
func startDevServer(ctx context.Context, dir string) (*localproc.Process, int, client.Client, error) {
	cli, err := devstack.TemporalCLIPath()
	if err != nil {
		return nil, 0, nil, err
	}
	port, err := localproc.FreePort()
	if err != nil {
		return nil, 0, nil, err
	}
	args := append([]string{"server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", strconv.Itoa(port), "--db-filename", filepath.Join(dir, "temporal.db"), "--log-level", "error"},
		devstack.DevServerArgs()...)
	server, err := localproc.Start("temporal dev server", filepath.Join(dir, "temporal.log"), os.Environ(), nil, cli, args...)
	if err != nil {
		return nil, 0, nil, err
	}
	address := fmt.Sprintf("127.0.0.1:%d", port)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := client.Dial(client.Options{HostPort: address, Logger: logAdapter(quiet)})
		if err == nil {
			if _, err = c.CheckHealth(ctx, &client.CheckHealthRequest{}); err == nil {
				return server, port, c, nil
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			_ = server.Kill()
			return nil, 0, nil, fmt.Errorf("dev server did not answer at %s within 60s: %w\n%s", address, err, server.Tail(2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
