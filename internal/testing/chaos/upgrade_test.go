package chaos

import (
	"cmp"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// TestUpgradeDrill upgrades a running system from an older release of the
// worker (UpgradeFrom, or the git revision in UPGRADE_FROM) to this build,
// old and new side by side, at 24 orders. A clone without the default
// commit (a shallow one) skips it, saying so; a release asked for in
// UPGRADE_FROM that cannot be had fails it.
func TestUpgradeDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the upgrade drill builds an older release and starts a whole system; skipped with -short")
	}
	if _, err := devstack.TemporalCLIPath(); err != nil {
		t.Fatalf("the Temporal CLI is needed for the upgrade drill: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	asked := os.Getenv("UPGRADE_FROM")
	built := time.Now()
	from, err := BuildWorkerRelease(ctx, cmp.Or(asked, UpgradeFrom))
	if errors.Is(err, ErrReleaseUnavailable) && asked == "" {
		t.Skipf("upgrade drill skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the worker of %s: %s (%.0fs)", from.Commit, from.Worker, time.Since(built).Seconds())
	res := RunUpgradeDrill(ctx, from, Options{
		Orders:       24,
		WorkerBinary: workerBin,
		ServerURL:    pgtest.ServerURL(),
		WorkDir:      t.TempDir(),
		Limit:        3 * time.Minute,
		Logf:         t.Logf,
	})
	t.Logf("%s: ok=%v orders=%d %s", res.Title, res.OK, res.Orders, res.Detail)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, c := range res.Verdict.Checks {
		if !c.OK {
			t.Errorf("%s: %s", c.Name, c.Detail)
		}
	}
}
