package cli_test

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/acme/backorders/internal/cli"
)

// Nothing listens on port 1: connecting is refused at once.
const (
	deadDatabase = "postgres://backorders:hunter2@127.0.0.1:1/backorders?sslmode=disable"
	deadTemporal = "127.0.0.1:1"
)

// usingEnv points the starter at services that are not there, so a test
// that reaches one by mistake fails loudly instead of using whatever runs
// on this machine, and sets the rest to their defaults.
func usingEnv(t *testing.T, kv ...string) {
	t.Helper()
	env := map[string]string{
		"DATABASE_URL":                     deadDatabase,
		"TEMPORAL_ADDRESS":                 deadTemporal,
		"TEMPORAL_NAMESPACE":               "default",
		"BACKORDER_TASK_QUEUE":             "cli-test",
		"BACKORDER_TIMEZONE":               "UTC",
		"BACKORDER_DEFAULT_LEAD_TIME_DAYS": "",
		"BACKORDER_SMS_THRESHOLD":          "",
		"BACKORDER_SWEEP_INTERVAL":         "",
		"BACKORDER_REPORT_SCHEDULE":        "",
		"BACKORDER_REPORT_RECIPIENTS":      "",
		"WAREHOUSE_MANAGER_PHONE":          "",
		"WAREHOUSE_SMS_QUIET_HOURS":        "",
		"SENDGRID_API_KEY":                 "",
		"SENDGRID_FROM":                    "",
		"TWILIO_ACCOUNT_SID":               "",
		"TWILIO_AUTH_TOKEN":                "",
		"TWILIO_FROM":                      "",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// failure is what one failed run of the starter left.
type failure struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func run(args ...string) failure {
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.Main(args, &out, &errOut)
	return failure{code: code, stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
}

// Exit codes, as documented in `starter --help` and the README.
const (
	exitFailed   = 1
	exitUsage    = 2
	exitNotFound = 3
	exitRefused  = 4
)

// requireOneLine checks the contract for every failure the user can cause
// or meet: exit status code, nothing on stdout, and on stderr exactly one
// line starting "starter:" that contains each of want; no usage dump, no
// stack.
func requireOneLine(t *testing.T, f failure, code int, want ...string) {
	t.Helper()
	assert.Equal(t, code, f.code, "exit code; stderr:\n%s", f.stderr)
	assert.Empty(t, f.stdout, "stdout")
	assert.True(t, strings.HasPrefix(f.stderr, "starter: "), "stderr starts with \"starter: \":\n%s", f.stderr)
	assert.True(t, strings.HasSuffix(f.stderr, "\n") && strings.Count(f.stderr, "\n") == 1, "stderr is one line:\n%s", f.stderr)
	for _, w := range want {
		assert.Contains(t, f.stderr, w)
	}
	for _, never := range []string{"goroutine ", "panic", "Usage:", "Flags:", ".go:"} {
		assert.NotContains(t, f.stderr, never)
	}
}

// A command line that cannot run exits 2 (a usage error).
func TestWrongArgumentsGiveOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate" for "starter"`, "starter --help"}},
		{[]string{"statu", "SO-1"}, []string{`unknown command "statu"`, "did you mean status?"}},
		{[]string{"status"}, []string{"accepts 1 arg(s), received 0", "usage: starter status ORDER_ID", "starter status --help"}},
		{[]string{"fulfill", "SO-1", "SO-2"}, []string{"accepts 1 arg(s), received 2", "usage: starter fulfill ORDER_ID"}},
		{[]string{"task"}, []string{`"starter task" needs a command: complete`}},
		{[]string{"task", "frob"}, []string{`unknown command "frob" for "starter task"`, "starter task --help"}},
		{[]string{"task", "complete"}, []string{"usage: starter task complete TASK_ID"}},
		{[]string{"sweep", "--as-of", "2026-13-01"}, []string{`--as-of: "2026-13-01" is not a date in the form YYYY-MM-DD`}},
		{[]string{"seed", "--as-of", "yesterday"}, []string{`--as-of: "yesterday" is not a date in the form YYYY-MM-DD`}},
		{[]string{"tasks", "--status", "maybe"}, []string{`--status "maybe": use open, done or obsolete`}},
		{[]string{"tasks", "--role", "ceo"}, []string{`--role "ceo": use procurement_manager or inventory_clerk`}},
		{[]string{"task", "complete", "T-1", "--eta", "nope"}, []string{`--eta: "nope" is not a date in the form YYYY-MM-DD`}},
		{[]string{"sweep", "--bogus"}, []string{"unknown flag: --bogus", "starter sweep --help"}},
		{[]string{"seed", "--orders", "many"}, []string{`invalid argument "many" for "--orders"`, "usage: starter seed"}},
		{[]string{"import"}, []string{`required flag(s) "file" not set`, "usage: starter import --file F"}},
		{[]string{"import", "--file", "/nonexistent/orders.json"}, []string{"cannot read --file /nonexistent/orders.json: no such file or directory", "give the path of a JSON import file"}},
		{[]string{"backorders", "--stage", "stuck"}, []string{`--stage: "stuck" is not a stage: use one of assessing, awaiting_fulfillment, rechecking, escalated, fulfilled, cancelled, not_backordered`}},
		{[]string{"backorders", "--min-value", "lots"}, []string{`--min-value: "lots" is not a decimal amount such as "19.99"`}},
		{[]string{"backorders", "--min-value", "-5"}, []string{`--min-value: "-5" is negative`}},
		{[]string{"backorders", "--limit", "-1"}, []string{"--limit: -1: use 1 or more, or 0 for all"}},
		{[]string{"backorders", "--limit", "ten"}, []string{`invalid argument "ten" for "--limit"`}},
		{[]string{"backorders", "SO-1"}, []string{`unknown command "SO-1" for "starter backorders"`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			usingEnv(t)
			requireOneLine(t, run(tc.args...), exitUsage, tc.want...)
		})
	}
}

func TestHelpIsNotAnError(t *testing.T) {
	usingEnv(t)
	for _, args := range [][]string{nil, {"--help"}, {"status", "--help"}, {"task", "--help"}, {"migrate", "--help"}, {"setup", "--help"}} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 0, cli.Main(args, &out, &errOut), "%v: %s", args, errOut.String())
		assert.Contains(t, out.String(), "Usage:", "%v", args)
		assert.Empty(t, errOut.String(), "%v", args)
	}
}

func TestBadSettingsGiveOneLine(t *testing.T) {
	usingEnv(t, "BACKORDER_TIMEZONE", "Mars/Base")
	requireOneLine(t, run("tasks"), exitFailed, `BACKORDER_TIMEZONE="Mars/Base" is not a known IANA timezone`, "set it to a name such as UTC")

	// Several bad settings are all named, still on one line.
	usingEnv(t, "BACKORDER_TIMEZONE", "Mars/Base", "BACKORDER_SMS_THRESHOLD", "lots")
	requireOneLine(t, run("status", "SO-1"), exitFailed, "BACKORDER_TIMEZONE", `BACKORDER_SMS_THRESHOLD="lots"`)
}

func TestUnreachablePostgresGivesOneLine(t *testing.T) {
	usingEnv(t)
	for _, args := range [][]string{
		{"tasks"}, {"notifications"}, {"fulfill", "SO-1"}, {"task", "complete", "T-1"}, {"setup"}, {"migrate"},
		{"import", "--file", "../testing/e2e/testdata/orders.json"},
	} {
		f := run(args...)
		requireOneLine(t, f, exitFailed, "cannot reach PostgreSQL at 127.0.0.1:1/backorders", "connection refused", "start it or set DATABASE_URL")
		assert.NotContains(t, f.stderr, "hunter2", "the password stays out of errors")
		assert.Less(t, f.took, 5*time.Second, "%v", args)
	}
}

func TestUnreachableTemporalFailsFastWithOneLine(t *testing.T) {
	usingEnv(t)
	for _, args := range [][]string{{"status", "SO-1"}, {"sweep", "--as-of", "2026-11-27"}, {"report", "--week", "2026-W48"}} {
		f := run(args...)
		requireOneLine(t, f, exitFailed, `cannot reach Temporal at 127.0.0.1:1 (namespace "default")`, "set TEMPORAL_ADDRESS")
		assert.Less(t, f.took, 5*time.Second, "%v", args)
	}
}

// A server that takes the connection and never answers (a wrong port, a
// hung process, a firewall that swallows packets) must not hang the
// command: it gives up within its connect timeout.
func TestSilentServersDoNotHang(t *testing.T) {
	addr := silentListener(t)
	usingEnv(t, "DATABASE_URL", "postgres://backorders@"+addr+"/backorders?sslmode=disable")
	f := run("tasks")
	requireOneLine(t, f, exitFailed, "cannot reach PostgreSQL at "+addr+"/backorders", "timeout", "start it or set DATABASE_URL")
	assert.Less(t, f.took, 15*time.Second)

	usingEnv(t, "TEMPORAL_ADDRESS", addr)
	f = run("status", "SO-1")
	requireOneLine(t, f, exitFailed, "cannot reach Temporal at "+addr, "set TEMPORAL_ADDRESS")
	assert.Less(t, f.took, 15*time.Second)
}

// silentListener accepts TCP connections and never writes a byte.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// --version says which build this is, and needs no settings or services.
func TestVersion(t *testing.T) {
	usingEnv(t, "BACKORDER_TIMEZONE", "Mars/Base")
	f := run("--version")
	assert.Equal(t, 0, f.code, f.stderr)
	assert.Regexp(t, `^starter \S+ \(commit \S+, built \S+, go[0-9.]+\)\n$`, f.stdout)
}
