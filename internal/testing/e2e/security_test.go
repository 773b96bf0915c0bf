package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/acme/backorders/internal/testing/fakes"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/fakes/twiliofake"
)

// A full run with real provider credentials — sweep, provider failures
// that echo the credentials back, retries, a permanent failure, a task
// completion with a new ETA, a fulfilment — and then every place text
// ends up is searched for them: the worker's log, everything the starter
// printed, every workflow history in the namespace (payloads decoded) and
// the rows the process wrote.
func TestSecretsStayOutOfLogsHistoriesAndErrors(t *testing.T) {
	const (
		apiKey = "SG.kq7Zr2vN8xWm.T4pL9sQ1cB6yH3jF0uE5aD8g"
		sid    = "AC5ec0de7a11b9e4c3f2d1a0b9c8d7e6f5"
		token  = "tk9Wq2Lx7Rv4Nz1Bm8Hc5Jd3"
	)
	sg := sendgridfake.New(apiKey)
	t.Cleanup(sg.Close)
	tw := twiliofake.New(sid, token)
	t.Cleanup(tw.Close)
	// A provider (or a proxy) that echoes what it was sent: in a short
	// message, and where a long one is cut short (the ledger keeps 300
	// characters of a provider's explanation).
	sg.Push(
		fakes.Reply{Status: 500, Body: sendGridError("internal error for key " + apiKey + " (Bearer " + apiKey + ")")},
		fakes.Reply{Status: 400, Body: sendGridError(strings.Repeat("x", 280) + apiKey)},
	)
	// A real leak is what the client sent: the Authorization header too.
	basicAuth := base64.StdEncoding.EncodeToString([]byte(sid + ":" + token))
	tw.Push(
		fakes.Reply{Status: 500, Body: twilioError(500, 20500, "account "+sid+" token "+token+" failed")},
		fakes.Reply{Status: 502, Body: twilioError(502, 20502, "upstream refused a request with Authorization: Basic "+basicAuth)},
		fakes.Reply{Status: 503, Body: twilioError(503, 20503, strings.Repeat("x", 270)+token)},
	)

	s := newStack(t,
		"SENDGRID_API_KEY="+apiKey, "SENDGRID_FROM=backorders@shop.example", "SENDGRID_BASE_URL="+sg.URL,
		"TWILIO_ACCOUNT_SID="+sid, "TWILIO_AUTH_TOKEN="+token, "TWILIO_FROM=+14155552671", "TWILIO_BASE_URL="+tw.URL,
		"WAREHOUSE_MANAGER_PHONE=+14155550100",
	)
	s.sweepFixtures()
	procurement := s.securityOpenTask("SO-1001")
	s.mustRun("task", "complete", procurement, "--by", "alice", "--eta", confirmedETA)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, confirmedETA, s.status("SO-1001").NewETA)
	}, 30*time.Second, 250*time.Millisecond)
	// The SMS is retried beside the wait; a fulfilment before it settles
	// would (rightly) cancel it.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.True(c, s.status("SO-1002").WarehouseAlerted)
	}, 60*time.Second, 250*time.Millisecond)
	s.mustRun("fulfill", "SO-1002")
	s.awaitStage("SO-1002", "fulfilled")

	// Every message settled: each went out or failed for good.
	var ledger []notificationJSON
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		out, _, code := s.run("notifications", "--json")
		ledger = nil
		if assert.Equal(c, 0, code) && assert.NoError(c, jsonUnmarshal(out, &ledger)) {
			for _, n := range ledger {
				assert.Contains(c, []string{"sent", "failed"}, n.Status, n.Key)
			}
		}
	}, 60*time.Second, 500*time.Millisecond)
	require.Len(t, tw.Accepted(), 1, "the SMS went out after the three failures")
	s.mustRun("notifications")
	s.mustRun("status", "SO-1001")
	s.mustRun("tasks")

	places := map[string]string{"starter output": s.starterOutput.String()}
	for _, path := range s.workerLogs {
		log, err := os.ReadFile(path)
		require.NoError(t, err)
		places["worker log "+path] = string(log)
	}
	histories, runs := s.allHistories()
	places["workflow histories"] = histories
	places["database rows"] = s.securityRows()

	// The echoes reached the ledger, the logs and the histories, scrubbed:
	// the search below looks where secrets would have gone.
	assert.Contains(t, places["database rows"], "[redacted]")
	assert.Contains(t, histories, "[redacted]")
	assert.GreaterOrEqual(t, runs, 4, "the sweep and three orders")
	assert.Contains(t, histories, "backorder-SO-1002")

	secrets := map[string]string{
		"SendGrid API key":    apiKey,
		"Twilio auth token":   token,
		"Twilio account SID":  sid,
		"Twilio basic auth":   basicAuth,
		"SID and token":       sid + ":" + token,
		"SendGrid key base64": base64.StdEncoding.EncodeToString([]byte(apiKey)),
	}
	for place, text := range places {
		require.NotEmpty(t, text, place)
		for name, secret := range secrets {
			if leaked := leak(text, secret); leaked != "" {
				t.Errorf("%s: the %s (or %d characters of it, %q) appears in %s", place, name, len(leaked), leaked, place)
			}
		}
	}
}

// leak finds the secret, or any 12 characters of it, in text: a message
// cut short must not keep part of a secret either.
func leak(text, secret string) string {
	const window = 12
	if len(secret) <= window {
		if strings.Contains(text, secret) {
			return secret
		}
		return ""
	}
	for i := 0; i+window <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+window]) {
			return secret[i : i+window]
		}
	}
	return ""
}

func sendGridError(message string) string {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"message": message, "field": nil}}})
	return string(b)
}

func twilioError(status, code int, message string) string {
	b, _ := json.Marshal(map[string]any{"code": code, "message": message, "status": status})
	return string(b)
}

// securityOpenTask is the id of an order's open procurement task.
func (s *stack) securityOpenTask(orderID string) string {
	s.t.Helper()
	var tasks []taskJSON
	s.runJSON(&tasks, "tasks", "--role", "procurement_manager", "--status", "open", "--json")
	i := slices.IndexFunc(tasks, func(task taskJSON) bool { return task.OrderID == orderID })
	require.GreaterOrEqual(s.t, i, 0, "order %s has no open procurement task", orderID)
	return tasks[i].ID
}

// allHistories is every event of every workflow run in the namespace as
// protojson, followed by every base64 field decoded (payloads are JSON
// inside base64), and how many runs there were.
func (s *stack) allHistories() (string, int) {
	s.t.Helper()
	env := map[string]string{}
	for _, kv := range s.env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	c, err := client.Dial(client.Options{
		HostPort: env["TEMPORAL_ADDRESS"], Namespace: env["TEMPORAL_NAMESPACE"],
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	require.NoError(s.t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(s.t.Context(), 2*time.Minute)
	defer cancel()

	type run struct{ workflowID, runID string }
	var runs []run
	// The visibility store catches up asynchronously: wait until it lists
	// the per-order workflows.
	require.EventuallyWithT(s.t, func(ct *assert.CollectT) {
		runs = nil
		var page []byte
		for {
			resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 100, NextPageToken: page})
			if !assert.NoError(ct, err) {
				return
			}
			for _, e := range resp.Executions {
				runs = append(runs, run{e.Execution.WorkflowId, e.Execution.RunId})
			}
			if page = resp.NextPageToken; len(page) == 0 {
				break
			}
		}
		for _, id := range []string{"backorder-SO-1001", "backorder-SO-1002", "backorder-SO-1005"} {
			assert.True(ct, slices.ContainsFunc(runs, func(r run) bool { return r.workflowID == id }), "%s is listed", id)
		}
	}, 30*time.Second, 250*time.Millisecond)

	var text strings.Builder
	for _, r := range runs {
		iter := c.GetWorkflowHistory(ctx, r.workflowID, r.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			event, err := iter.Next()
			require.NoError(s.t, err, "history of %s/%s", r.workflowID, r.runID)
			raw, err := protojson.Marshal(event)
			require.NoError(s.t, err)
			text.Write(raw)
			text.WriteByte('\n')
			var v any
			require.NoError(s.t, json.Unmarshal(raw, &v))
			decodeBase64Strings(&text, v)
		}
	}
	return text.String(), len(runs)
}

// decodeBase64Strings writes out every string in v that is base64.
func decodeBase64Strings(w *strings.Builder, v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			decodeBase64Strings(w, x)
		}
	case []any:
		for _, x := range v {
			decodeBase64Strings(w, x)
		}
	case string:
		if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) > 0 {
			w.Write(b)
			w.WriteByte('\n')
		}
	}
}

// securityRows is every row of the tables the process writes free text to.
func (s *stack) securityRows() string {
	s.t.Helper()
	var text strings.Builder
	for _, table := range []string{"notifications", "incidents", "tasks", "active_alerts", "sweep_runs", "suppressions", "reports"} {
		rows, err := s.db.Query(s.t.Context(), "SELECT t::text FROM "+table+" t")
		require.NoError(s.t, err, table)
		for rows.Next() {
			var row string
			require.NoError(s.t, rows.Scan(&row))
			text.WriteString(table + ": " + row + "\n")
		}
		require.NoError(s.t, rows.Err(), table)
	}
	return text.String()
}

// The worker runs the whole process as the least-privilege role docs/operations.md
// documents, created from that page's own SQL: provider sends and failures, a
// refused SMS that suppresses the number, a task completion with a new ETA,
// fulfilment, cancellation, reconciliation and the weekly report. Nothing
// is denied, and the role cannot do what the worker must not.
func TestWorkerRunsWithLeastPrivilege(t *testing.T) {
	const (
		apiKey = "SG.leastprivilege.key"
		sid    = "AC00000000000000000000000000000001"
		token  = "leastprivilegetoken0"
	)
	sg := sendgridfake.New(apiKey)
	t.Cleanup(sg.Close)
	tw := twiliofake.New(sid, token)
	t.Cleanup(tw.Close)
	sg.Push(fakes.Status(500), fakes.Status(400)) // a retry, then an email that fails for good
	tw.Push(twiliofake.Unsubscribed())            // the number replied STOP: suppressed
	s := newStack(t,
		"SENDGRID_API_KEY="+apiKey, "SENDGRID_FROM=backorders@shop.example", "SENDGRID_BASE_URL="+sg.URL,
		"TWILIO_ACCOUNT_SID="+sid, "TWILIO_AUTH_TOKEN="+token, "TWILIO_FROM=+14155552671", "TWILIO_BASE_URL="+tw.URL,
		"WAREHOUSE_MANAGER_PHONE=+14155550100",
	)
	roleURL := s.createWorkerRole()
	// Everything from here runs on another task queue, served only by a
	// worker connected as the role; the starter stays the owner.
	s.env = withEnv(s.env, "BACKORDER_TASK_QUEUE=e2e-least-privilege")
	s.startWorkerWith(withEnv(s.env, "DATABASE_URL="+roleURL))

	sweep := s.sweepFixtures()
	s.mustRun("task", "complete", s.securityOpenTask("SO-1001"), "--eta", confirmedETA)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, confirmedETA, s.status("SO-1001").NewETA)
	}, 30*time.Second, 250*time.Millisecond)
	s.mustRun("fulfill", "SO-1002")
	s.awaitStage("SO-1002", "fulfilled")
	_, err := s.db.Exec(t.Context(), `UPDATE orders SET status = 'Cancelled' WHERE id = 'SO-1005'`)
	require.NoError(t, err)
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 1, sweep.Reconciled)
	s.awaitStage("SO-1005", "cancelled")
	s.mustRun("report", "--week", "2026-W48", "--format", "json")

	assert.Equal(t, 1, s.count(`SELECT count(*) FROM reports WHERE week = '2026-W48'`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM suppressions`), "the refused SMS suppressed the number")
	assert.Equal(t, 2, s.count(`SELECT count(*) FROM notifications WHERE status = 'failed'`), "the refused SMS and the email refused for good")
	assert.Equal(t, 2, s.count(`SELECT sum(jsonb_array_length(delivery_failures)) FROM incidents`), "both failures are on their incidents")
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM active_alerts`), "fulfilment deleted the alert")
	assert.Equal(t, 2, s.count(`SELECT count(*) FROM incidents WHERE status <> 'open'`))
	log, err := os.ReadFile(s.workerLogs[len(s.workerLogs)-1])
	require.NoError(t, err)
	assert.NotContains(t, string(log), "permission denied")
	assert.NotContains(t, string(log), "42501")

	// What the role must not do.
	conn, err := pgxpool.New(t.Context(), roleURL)
	require.NoError(t, err)
	defer conn.Close()
	for _, sql := range []string{
		`UPDATE orders SET promised_date = '2030-01-01' WHERE id = 'SO-1001'`, // status it may set: order-fulfilled from any sender is recorded
		`DELETE FROM orders WHERE id = 'SO-1001'`,
		`UPDATE order_lines SET backordered_quantity = 0`,
		`INSERT INTO customers (id, name, email) VALUES ('C-X', 'X', 'x@example.com')`,
		`DELETE FROM notifications`,
		`DELETE FROM incidents`,
		`TRUNCATE tasks`,
		`CREATE TABLE intruder (id int)`,
		`DROP TABLE suppressions`,
	} {
		_, err := conn.Exec(t.Context(), sql)
		var pgErr *pgconn.PgError
		if assert.ErrorAs(t, err, &pgErr, sql) {
			assert.Contains(t, []string{"42501", "42P01"}, pgErr.Code, "%s: %v", sql, err)
			assert.NotEqual(t, "42P01", pgErr.Code, "%s: %v", sql, err)
		}
	}
}

// createWorkerRole runs docs/operations.md's least-privilege SQL for this test's
// database, under a role name of its own (roles belong to the whole
// server), and returns a DATABASE_URL that logs in as it.
func (s *stack) createWorkerRole() string {
	s.t.Helper()
	doc, err := os.ReadFile("../../../docs/operations.md")
	require.NoError(s.t, err)
	_, security, ok := strings.Cut(string(doc), "\n## Security\n")
	require.True(s.t, ok, "docs/operations.md has a Security section")
	_, block, ok := strings.Cut(security, "```sql\n")
	require.True(s.t, ok, "the Security section has a SQL block")
	block, _, ok = strings.Cut(block, "```")
	require.True(s.t, ok)

	dbURL, err := url.Parse(securityEnvValue(s, "DATABASE_URL"))
	require.NoError(s.t, err)
	database := strings.TrimPrefix(dbURL.Path, "/")
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	role, password := "backorders_worker_"+hex.EncodeToString(suffix), hex.EncodeToString(suffix)+"-pw"
	sql := strings.NewReplacer(
		"backorders_worker", role, "DATABASE backorders ", "DATABASE "+database+" ", "'change-me'", "'"+password+"'",
	).Replace(block)
	s.t.Cleanup(func() {
		ctx := context.Background()
		_, _ = s.db.Exec(ctx, "DROP OWNED BY "+role)
		_, _ = s.db.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	})
	statements := 0
	for _, stmt := range strings.Split(sql, ";\n") {
		var lines []string
		for line := range strings.Lines(stmt) {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "--") {
				lines = append(lines, line)
			}
		}
		if len(lines) == 0 {
			continue
		}
		_, err := s.db.Exec(s.t.Context(), strings.Join(lines, " "))
		require.NoError(s.t, err, "docs/operations.md's SQL: %s", strings.Join(lines, " "))
		statements++
	}
	require.GreaterOrEqual(s.t, statements, 5, "docs/operations.md's SQL block:\n%s", block)

	dbURL.User = url.UserPassword(role, password)
	return dbURL.String()
}

func securityEnvValue(s *stack, key string) string {
	for _, kv := range s.env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	s.t.Fatalf("%s is not in the stack's environment", key)
	return ""
}

// withEnv is env with each KEY=value of set replacing KEY's entry.
func withEnv(env []string, set ...string) []string {
	out := slices.Clone(env)
	for _, kv := range set {
		key, _, _ := strings.Cut(kv, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, key+"=") })
		out = append(out, kv)
	}
	return out
}
