package chaos

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// workerBin is the worker, built once for all drills.
var workerBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here is end to end: nothing to build for make check.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "backorders-chaos-bin")
	if err != nil {
		panic(err)
	}
	workerBin = filepath.Join(dir, "worker")
	cmd := exec.Command("go", "build", "-o", workerBin, "../../../worker")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the worker failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// TestDrills runs every fault drill at a small size: 30 overdue orders,
// shorter outages. Each drill has its own dev server, database, fakes and
// worker, so they run in parallel (two at a time on two cores).
func TestDrills(t *testing.T) {
	if testing.Short() {
		t.Skip("fault drills start whole systems; skipped with -short")
	}
	if _, err := devstack.TemporalCLIPath(); err != nil {
		t.Fatalf("the Temporal CLI is needed for the fault drills: %v", err)
	}
	for _, d := range Drills {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			if d.PrivatePostgres {
				if err := PrivatePostgresAvailable(); err != nil {
					t.Skipf("no private PostgreSQL for this drill: %v", err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			res := RunDrill(ctx, d, Options{
				Orders:         30,
				WorkerBinary:   workerBin,
				ServerURL:      pgtest.ServerURL(),
				WorkDir:        t.TempDir(),
				ServerDown:     2 * time.Second,
				DBOutage:       5 * time.Second,
				ProviderOutage: 5 * time.Second,
				// Past the database steps' 10 s start-to-close timeout.
				LockHold: 13 * time.Second,
				Limit:    3 * time.Minute,
				Logf:     t.Logf,
			})
			recovery := "-"
			if res.Recovery >= 0 {
				recovery = fmt.Sprintf("%.1fs", res.Recovery.Seconds())
			}
			t.Logf("%s: ok=%v orders=%d recovery=%s %s", d.Name, res.OK, res.Orders, recovery, res.Detail)
			if res.Err != nil {
				t.Fatalf("%s: %v", d.Name, res.Err)
			}
			for _, c := range res.Verdict.Checks {
				if !c.OK {
					t.Errorf("%s: %s", c.Name, c.Detail)
				}
			}
		})
	}
}
