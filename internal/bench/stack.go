package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/devstack"
)

// process is a child process the benchmark started and measures.
type process struct {
	cmd *exec.Cmd
	log *os.File
}

func startProcess(logPath string, env []string, name string, args ...string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	return &process{cmd: cmd, log: logFile}, nil
}

// stop interrupts the process and waits for it, killing it after a grace
// period.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.log.Close()
}

// rssMB reads the resident set size from /proc.
func (p *process) rssMB() (float64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", p.cmd.Process.Pid)
}

// startDevServer runs the pinned dev server with the fast flags and a
// SQLite file, as make demo does, on a free port.
func startDevServer(ctx context.Context, dir string) (*process, client.Client, error) {
	cli, err := devstack.TemporalCLIPath()
	if err != nil {
		return nil, nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	args := append([]string{"server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", strconv.Itoa(port), "--db-filename", filepath.Join(dir, "temporal.db"), "--log-level", "error"},
		devstack.DevServerArgs()...)
	server, err := startProcess(filepath.Join(dir, "temporal.log"), os.Environ(), cli, args...)
	if err != nil {
		return nil, nil, err
	}
	address := fmt.Sprintf("127.0.0.1:%d", port)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := client.Dial(client.Options{HostPort: address, Logger: logAdapter(quiet)})
		if err == nil {
			if _, err = c.CheckHealth(ctx, &client.CheckHealthRequest{}); err == nil {
				return server, c, nil
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			server.stop()
			return nil, nil, fmt.Errorf("dev server did not answer at %s within 60s (log: %s): %w", address, server.log.Name(), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
