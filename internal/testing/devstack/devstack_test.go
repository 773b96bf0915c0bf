package devstack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The four settings that make the dev server fast (measured).
var wantFastFlags = [][2]string{
	{"--sqlite-pragma", "journal_mode=wal"},
	{"--sqlite-pragma", "synchronous=normal"},
	{"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1"},
	{"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1"},
}

var wantSearchAttributes = map[string]string{
	"OrderId":        "Keyword",
	"BackorderStage": "Keyword",
	"BackorderValue": "Double",
	"DelayDays":      "Int",
}

func hasPair(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

func TestFastDevServerArgs(t *testing.T) {
	for _, f := range wantFastFlags {
		assert.True(t, hasPair(FastDevServerArgs, f[0], f[1]), "FastDevServerArgs lacks %s %s: %q", f[0], f[1], FastDevServerArgs)
	}
	assert.NotContains(t, FastDevServerArgs, "--search-attribute", "search attributes go through DevServerOptions.SearchAttributes")
}

func TestDevServerSearchAttributes(t *testing.T) {
	got := map[string]string{}
	for _, a := range DevServerSearchAttributes {
		got[a.Name] = a.Type
	}
	assert.Equal(t, wantSearchAttributes, got)

	sa, err := SearchAttributes()
	require.NoError(t, err)
	typed := map[string]string{}
	for k := range sa.GetUntypedValues() {
		typed[k.GetName()] = k.GetValueType().String()
	}
	assert.Equal(t, wantSearchAttributes, typed, "the SDK must turn these into --search-attribute NAME=TYPE")
}

func TestDevServerOptionsConsistent(t *testing.T) {
	cli := filepath.Join(t.TempDir(), "temporal")
	require.NoError(t, os.WriteFile(cli, []byte("#!/bin/sh\n"), 0o755))
	t.Setenv("TEMPORAL_CLI_PATH", cli)

	logDir := t.TempDir()
	opts := DevServerOptions(logDir)
	assert.Equal(t, cli, opts.ExistingPath)
	assert.Equal(t, "error", opts.LogLevel)
	assert.False(t, opts.EnableUI)
	for _, f := range wantFastFlags {
		assert.True(t, hasPair(opts.ExtraArgs, f[0], f[1]), "ExtraArgs lack %s %s", f[0], f[1])
	}
	assert.Equal(t, len(wantSearchAttributes), opts.SearchAttributes.Size())
	if assert.NotNil(t, opts.Stdout) {
		if f, ok := opts.Stdout.(*os.File); ok {
			assert.Equal(t, filepath.Join(logDir, "temporal-dev-server.log"), f.Name())
			_ = f.Close()
		}
	}
	// Changing the returned args must not change the shared list.
	opts.ExtraArgs[0] = "--changed"
	assert.NotEqual(t, "--changed", FastDevServerArgs[0])
}

// stack.sh must read the same flag file the Go side embeds.
func TestStackScriptUsesFlagFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "scripts", "stack.sh"))
	require.NoError(t, err)
	assert.Contains(t, string(b), DevServerFlagsFile)
	_, err = os.Stat(filepath.Join("..", "..", "..", DevServerFlagsFile))
	require.NoError(t, err)
}

func TestEnsureTemporalScriptPinsSameVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "scripts", "ensure-temporal.sh"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `TEMPORAL_CLI_VERSION="`+TemporalCLIVersion+`"`)
}

func TestTemporalCLIPath(t *testing.T) {
	tools := t.TempDir()
	t.Setenv("BACKORDER_TOOLS_DIR", tools)
	t.Setenv("TEMPORAL_CLI_PATH", "")

	_, err := TemporalCLIPath()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "make tools")

	want := filepath.Join(tools, "temporal-1.5.1", "temporal")
	assert.Equal(t, want, CachedTemporalCLIPath())
	require.NoError(t, os.MkdirAll(filepath.Dir(want), 0o755))
	require.NoError(t, os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755))
	got, err := TemporalCLIPath()
	require.NoError(t, err)
	assert.Equal(t, want, got)

	t.Setenv("TEMPORAL_CLI_PATH", filepath.Join(tools, "missing"))
	_, err = TemporalCLIPath()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TEMPORAL_CLI_PATH")
}

func TestParseFlagsRejectsBadLines(t *testing.T) {
	for _, bad := range []string{"sqlite-pragma x", "--a b c", "--search-attribute Foo", "--search-attribute =Int"} {
		_, _, err := parseFlags(bad)
		assert.Error(t, err, bad)
	}
	args, attrs, err := parseFlags("# c\n\n  --headless\n--x y\n--search-attribute A=Int\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"--headless", "--x", "y"}, args)
	assert.Equal(t, []SearchAttribute{{Name: "A", Type: "Int"}}, attrs)
	assert.False(t, strings.Contains(strings.Join(args, " "), "#"))
}

func TestDevServerArgsRegisterTheSearchAttributes(t *testing.T) {
	args := strings.Join(DevServerArgs(), " ")
	for _, want := range []string{"--search-attribute OrderId=Keyword", "--search-attribute BackorderValue=Double", "journal_mode=wal"} {
		assert.Contains(t, args, want)
	}
}
