package messages

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what the templates render")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/messages -update to create it")
	assert.Equal(t, string(want), got, "%s differs; if the change is intended, run go test ./internal/messages -update", path)
}

func delayNotice() CustomerNotice {
	return CustomerNotice{
		CustomerName: "Jane Doe", OrderID: "SO-1001", ETA: "2026-12-11", SupportEmail: "support@example.com",
		Lines: []Line{{"SKU-1", "Widget", 2}, {"SKU-2", "Gadget", 5}},
	}
}

func TestCustomerTemplates(t *testing.T) {
	revised := delayNotice()
	revised.ETA, revised.PreviousETA, revised.Reason = "2026-12-20", "2026-12-11", "supplier confirmed a new date"
	for _, tc := range []struct {
		name        string
		notice      CustomerNotice
		wantSubject string
	}{
		{name: "customer_delay", notice: delayNotice(), wantSubject: "Your order SO-1001 is delayed: new estimated delivery 2026-12-11"},
		{name: "customer_revised", notice: revised, wantSubject: "Your order SO-1001: estimated delivery moved to 2026-12-20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Customer(tc.notice)
			require.NoError(t, err)
			assert.Equal(t, tc.wantSubject, e.Subject)
			golden(t, tc.name+".txt.golden", e.Text)
			golden(t, tc.name+".html.golden", e.HTML)
		})
	}
}

func TestCustomerNoticeContent(t *testing.T) {
	e, err := Customer(delayNotice())
	require.NoError(t, err)
	for _, part := range []string{e.Text, e.HTML} {
		for _, want := range []string{"Dear Jane Doe", "SO-1001", "SKU-1", "Widget", "SKU-2", "Gadget", "2026-12-11", "sorry", "cancel", "support@example.com"} {
			assert.Contains(t, part, want)
		}
	}
}

func TestCustomerHTMLEscapesData(t *testing.T) {
	n := delayNotice()
	n.CustomerName = `Jane <script>alert("x")</script> & Co`
	n.Lines = []Line{{"SKU-<1>", `Widget "Pro" <b>`, 1}}
	e, err := Customer(n)
	require.NoError(t, err)
	assert.NotContains(t, e.HTML, "<script>")
	assert.NotContains(t, e.HTML, "<b>")
	assert.Contains(t, e.HTML, "Jane &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co")
	assert.Contains(t, e.HTML, "SKU-&lt;1&gt;")
	assert.Contains(t, e.Text, `Dear Jane <script>alert("x")</script> & Co,`, "plain text stays as written")
}

func TestWarehouseAlert(t *testing.T) {
	sms := WarehouseAlert("SO-1001", "1500.00", "USD", "2026-12-11")
	golden(t, "warehouse_alert.txt.golden", sms)
}

func TestWarehouseAlertFitsOneSMSSegment(t *testing.T) {
	// The longest realistic alert: a long order id and a seven-figure value.
	sms := WarehouseAlert("SO-2026-0001234567", "1234567.89", "USD", "2026-12-11")
	assert.LessOrEqual(t, len(sms), 160, sms)
	for _, r := range sms {
		assert.Less(t, r, rune(128), "ASCII only, so the GSM-7 alphabet's 160 characters apply")
	}
}
