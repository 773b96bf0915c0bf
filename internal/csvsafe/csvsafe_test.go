package csvsafe_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/csvsafe"
)

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":              "'=1+1",
		"+14155552671":      "'+14155552671",
		"-2":                "'-2",
		"@SUM(A1)":          "'@SUM(A1)",
		"\tx":               "'\tx",
		"\rx":               "'\rx",
		"":                  "",
		"Acme Parts":        "Acme Parts",
		"SKU-1":             "SKU-1",
		" =not first":       " =not first",
		"'=already quoted":  "'=already quoted",
		"Bolt & Co <\"L\">": "Bolt & Co <\"L\">",
	} {
		assert.Equal(t, want, csvsafe.Neutralise(in), "%q", in)
	}
}

func TestWriterNeutralisesTextOnly(t *testing.T) {
	var b bytes.Buffer
	w := csvsafe.NewWriter(&b)
	w.WriteText("name", "value")
	w.Write(csvsafe.Text("=HYPERLINK(\"x\")"), csvsafe.Value("-"))
	w.Write(csvsafe.Text("a, b"), csvsafe.Value("12.50"))
	require.NoError(t, w.Flush())
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"name", "value"}, {"'=HYPERLINK(\"x\")", "-"}, {"a, b", "12.50"}}, rows)
}
