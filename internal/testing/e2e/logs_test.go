package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/testing/fakes"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/fakes/twiliofake"
)

var (
	emailAddress = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	phoneNumber  = regexp.MustCompile(`\+[1-9][0-9]{7,14}`)
	// sdkIdentity is the SDK's worker identity, pid@host: not an address.
	sdkIdentity = regexp.MustCompile(`^[0-9]+@`)
)

// The worker's JSON log through a run with provider credentials, at debug
// level: sweep, customer emails, a provider answer that echoes the API key,
// an SMS refused with an answer that echoes the manager's number, the
// weekly report emailed after an answer that echoes its recipient. Every
// line is JSON; no customer or staff address or phone number, API key or
// auth token appears in it (nor in any workflow history); the lines the
// activities write name the workflow, run and activity.
func TestWorkerLogsAreJSONWithoutAddressesOrSecrets(t *testing.T) {
	const (
		apiKey     = "SG.logs7Kq2.Vx9Lm4Tz8Rw1Pb6Nc3Hd5Jf0"
		sid        = "AC1095c2d3e4f5a6b7c8d9e0f1a2b3c4d5"
		token      = "lg7Rt2Xw9Kp4Vm1Qz8Bn6Hc3"
		manager    = "+14155550100"
		smsFrom    = "+14155550199"
		emailFrom  = "backorders@shop.example"
		support    = "help@shop.example"
		recipients = "ops@shop.example"
	)
	sg := sendgridfake.New(apiKey)
	t.Cleanup(sg.Close)
	tw := twiliofake.New(sid, token)
	t.Cleanup(tw.Close)
	sg.Push(fakes.Reply{Status: 500, Body: sendGridError("internal error for key " + apiKey)})
	tw.Push(fakes.Reply{Status: 400, Body: twilioError(400, twiliofake.CodeInvalidNumber, "The 'To' number "+manager+" is not a valid phone number.")})

	s := newStack(t,
		"BACKORDER_LOG_FORMAT=json", "BACKORDER_LOG_LEVEL=debug",
		"SENDGRID_API_KEY="+apiKey, "SENDGRID_FROM="+emailFrom, "SENDGRID_BASE_URL="+sg.URL,
		"TWILIO_ACCOUNT_SID="+sid, "TWILIO_AUTH_TOKEN="+token, "TWILIO_FROM="+smsFrom, "TWILIO_BASE_URL="+tw.URL,
		"WAREHOUSE_MANAGER_PHONE="+manager, "BACKORDER_SUPPORT_EMAIL="+support,
		"BACKORDER_REPORT_RECIPIENTS="+recipients,
	)
	s.sweepFixtures()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Len(c, sg.Accepted(), 3, "one email per overdue order")
		assert.Len(c, tw.Requests(), 1, "one SMS, refused")
	}, 60*time.Second, 250*time.Millisecond)

	// The scheduled weekly report, now; its recipient's mailbox is echoed.
	sg.Push(fakes.Reply{Status: 500, Body: sendGridError("temporary failure for " + recipients)})
	ctx := t.Context()
	require.NoError(t, s.temporalClient().ScheduleClient().GetHandle(ctx, contract.ReportScheduleID).
		Trigger(ctx, client.ScheduleTriggerOptions{}))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var ledger []notificationJSON
		out, _, code := s.run("notifications", "--json")
		if assert.Equal(c, 0, code) && assert.NoError(c, jsonUnmarshal(out, &ledger)) {
			assert.Len(c, ledger, 5, "three customer emails, the SMS, the report")
			for _, n := range ledger {
				assert.Contains(c, []string{"sent", "failed"}, n.Status, n.Key)
			}
		}
	}, 60*time.Second, 500*time.Millisecond)
	require.Len(t, sg.Accepted(), 4)

	raw, err := os.ReadFile(s.workerLogs[0])
	require.NoError(t, err)
	log := string(raw)
	lines := jsonLogLines(t, log)

	// Nobody's address, number or credential, even in part. The shop's own
	// senders are printed once at start, so an operator sees where messages
	// go from.
	secrets := map[string]string{
		"API key": apiKey, "auth token": token, "account SID": sid,
		"basic auth": base64.StdEncoding.EncodeToString([]byte(sid + ":" + token)),
	}
	for name, secret := range secrets {
		if leaked := leak(log, secret); leaked != "" {
			t.Errorf("the worker log holds the %s (%q)", name, leaked)
		}
	}
	histories, _ := s.allHistories()
	for _, private := range []string{manager, recipients, support, "jane@example.com", "max@example.de", "+14155552671"} {
		assert.NotContains(t, log, private, "the worker log")
		assert.NotContains(t, histories, private, "a workflow history")
	}
	for _, m := range emailAddress.FindAllString(log, -1) {
		assert.True(t, m == emailFrom || sdkIdentity.MatchString(m), "an email address in the worker log: %s", m)
	}
	for _, m := range phoneNumber.FindAllString(log, -1) {
		assert.Equal(t, smsFrom, m, "a phone number in the worker log")
	}

	// The activities' own lines carry the workflow, the run and the
	// activity (the SDK's activity logger).
	byMessage := func(msg string) []map[string]any {
		var found []map[string]any
		for _, l := range lines {
			if l["msg"] == msg {
				found = append(found, l)
			}
		}
		require.NotEmpty(t, found, "no %q line in the worker log", msg)
		return found
	}
	refused := byMessage("notification failed for good")
	require.Len(t, refused, 1, "the refused SMS")
	assert.Equal(t, contract.ActivityTextWarehouse, refused[0]["ActivityType"])
	assert.Equal(t, "backorder-SO-1002", refused[0]["WorkflowID"])
	assert.NotEmpty(t, refused[0]["RunID"])
	assert.Contains(t, refused[0]["error"], "[redacted] is not a valid phone number")

	sent := byMessage("notification sent")
	assert.Len(t, sent, 4, "three customer emails and the report")
	var activities []any
	for _, l := range sent {
		assert.NotEmpty(t, l["WorkflowID"], "%v", l)
		assert.NotEmpty(t, l["RunID"], "%v", l)
		activities = append(activities, l["ActivityType"])
	}
	assert.ElementsMatch(t, []any{contract.ActivityNotifyCustomer, contract.ActivityNotifyCustomer, contract.ActivityNotifyCustomer, contract.ActivityEmailReport}, activities)
	assert.True(t, slices.ContainsFunc(byMessage("weekly report emailed"), func(l map[string]any) bool {
		return l["ActivityType"] == contract.ActivityEmailReport && l["WorkflowID"] != nil
	}))
}

// jsonLogLines parses a JSON log, failing on any line that is not an
// object with a time, a level and a message.
func jsonLogLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	scan := bufio.NewScanner(strings.NewReader(log))
	scan.Buffer(nil, 1<<20)
	for scan.Scan() {
		var line map[string]any
		if !assert.NoError(t, json.Unmarshal(scan.Bytes(), &line), "a worker log line that is not JSON: %s", scan.Text()) {
			continue
		}
		for _, key := range []string{"time", "level", "msg"} {
			assert.Contains(t, line, key, "%s", scan.Text())
		}
		lines = append(lines, line)
	}
	require.NoError(t, scan.Err())
	require.NotEmpty(t, lines)
	return lines
}
