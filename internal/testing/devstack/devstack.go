// Package devstack knows where the pinned Temporal CLI (dev server) lives and
// how to start it fast. scripts/ensure-temporal.sh builds the binary,
// scripts/stack.sh runs it for `make demo`, and tests start their own
// in-process-managed dev server with DevServerOptions. The dev-server flags
// live in devserver-flags.txt, which this package embeds and stack.sh reads,
// so both always start the same kind of server.
package devstack

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// TemporalCLIVersion is the pinned github.com/temporalio/cli version
// (scripts/ensure-temporal.sh installs exactly this one).
const TemporalCLIVersion = "v1.5.1"

// DevServerFlagsFile is the flag file's path relative to the repository root.
const DevServerFlagsFile = "internal/testing/devstack/devserver-flags.txt"

//go:embed devserver-flags.txt
var devServerFlagsText string

// SearchAttribute is one custom search attribute the dev server registers.
type SearchAttribute struct {
	Name string
	// Type is the Temporal CLI's type name: Keyword, Double, Int, ...
	Type string
}

// FastDevServerArgs are the extra `temporal server start-dev` flags that make
// the SQLite-backed dev server fast (from devserver-flags.txt, without the
// search attributes).
var FastDevServerArgs []string

// DevServerSearchAttributes are the custom search attributes registered at
// dev-server start (from devserver-flags.txt).
var DevServerSearchAttributes []SearchAttribute

func init() {
	var err error
	FastDevServerArgs, DevServerSearchAttributes, err = parseFlags(devServerFlagsText)
	if err != nil {
		panic(fmt.Sprintf("devstack: %s: %v", DevServerFlagsFile, err))
	}
}

// parseFlags reads the flag file: one "--flag value" per line, # comments.
// --search-attribute lines are returned separately.
func parseFlags(text string) (args []string, attrs []SearchAttribute, err error) {
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if !strings.HasPrefix(fields[0], "--") || len(fields) > 2 {
			return nil, nil, fmt.Errorf("line %d: want \"--flag value\", got %q", n+1, line)
		}
		if fields[0] == "--search-attribute" {
			if len(fields) != 2 {
				return nil, nil, fmt.Errorf("line %d: --search-attribute needs NAME=TYPE", n+1)
			}
			name, typ, ok := strings.Cut(fields[1], "=")
			if !ok || name == "" || typ == "" {
				return nil, nil, fmt.Errorf("line %d: --search-attribute needs NAME=TYPE, got %q", n+1, fields[1])
			}
			attrs = append(attrs, SearchAttribute{Name: name, Type: typ})
			continue
		}
		args = append(args, fields...)
	}
	return args, attrs, nil
}

// ToolsDir is where pinned developer tools are cached: BACKORDER_TOOLS_DIR,
// else ~/.cache/backorder-tools (outside the checkout).
func ToolsDir() string {
	if d := os.Getenv("BACKORDER_TOOLS_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(os.TempDir(), "backorder-tools")
	}
	return filepath.Join(home, ".cache", "backorder-tools")
}

// CachedTemporalCLIPath is where scripts/ensure-temporal.sh puts the binary.
func CachedTemporalCLIPath() string {
	return filepath.Join(ToolsDir(), "temporal-"+strings.TrimPrefix(TemporalCLIVersion, "v"), "temporal")
}

// TemporalCLIPath returns the Temporal CLI binary to run: TEMPORAL_CLI_PATH
// when set, else the pinned build in the tools cache. The error says how to
// get one.
func TemporalCLIPath() (string, error) {
	if p := os.Getenv("TEMPORAL_CLI_PATH"); p != "" {
		info, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("TEMPORAL_CLI_PATH=%q: %w (unset it and run `make tools`, or point it at a temporal CLI binary)", p, err)
		}
		if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("TEMPORAL_CLI_PATH=%q is not an executable file", p)
		}
		return p, nil
	}
	p := CachedTemporalCLIPath()
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("the Temporal CLI %s is not installed at %s: run `make tools` (or set TEMPORAL_CLI_PATH to a temporal binary)", TemporalCLIVersion, p)
		}
		return "", fmt.Errorf("the Temporal CLI at %s: %w", p, err)
	}
	return p, nil
}

// SearchAttributes returns the dev server's custom search attributes in the
// SDK's form. The values are placeholders: the SDK only uses the keys and
// their types to build --search-attribute flags.
func SearchAttributes() (temporal.SearchAttributes, error) {
	updates := make([]temporal.SearchAttributeUpdate, 0, len(DevServerSearchAttributes))
	for _, a := range DevServerSearchAttributes {
		switch a.Type {
		case "Keyword":
			updates = append(updates, temporal.NewSearchAttributeKeyKeyword(a.Name).ValueSet(""))
		case "Text":
			updates = append(updates, temporal.NewSearchAttributeKeyString(a.Name).ValueSet(""))
		case "Double":
			updates = append(updates, temporal.NewSearchAttributeKeyFloat64(a.Name).ValueSet(0))
		case "Int":
			updates = append(updates, temporal.NewSearchAttributeKeyInt64(a.Name).ValueSet(0))
		case "Bool":
			updates = append(updates, temporal.NewSearchAttributeKeyBool(a.Name).ValueSet(false))
		default:
			return temporal.SearchAttributes{}, fmt.Errorf("search attribute %s: unsupported type %q", a.Name, a.Type)
		}
	}
	return temporal.NewSearchAttributes(updates...), nil
}

// DevServerOptions returns options for testsuite.StartDevServer: the pinned
// CLI (never a download), the fast flags, log level "error", headless, and
// the custom search attributes. When logDir is not empty the server's output
// goes to logDir/temporal-dev-server.log (the file stays open for the
// server's lifetime); otherwise to this process's stdout/stderr.
//
// Callers set ClientOptions (HostPort, Namespace, Logger) themselves. Call
// TemporalCLIPath first to report a missing binary clearly: if it is
// missing, ExistingPath points at where it should be and starting fails.
func DevServerOptions(logDir string) testsuite.DevServerOptions {
	path, err := TemporalCLIPath()
	if err != nil {
		path = CachedTemporalCLIPath()
		if p := os.Getenv("TEMPORAL_CLI_PATH"); p != "" {
			path = p
		}
	}
	attrs, err := SearchAttributes()
	if err != nil {
		// The flag file is embedded and covered by tests.
		panic(err)
	}
	opts := testsuite.DevServerOptions{
		ExistingPath:     path,
		LogLevel:         "error",
		SearchAttributes: attrs,
		ExtraArgs:        append([]string(nil), FastDevServerArgs...),
	}
	if logDir != "" {
		if err := os.MkdirAll(logDir, 0o755); err == nil {
			f, err := os.OpenFile(filepath.Join(logDir, "temporal-dev-server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err == nil {
				opts.Stdout, opts.Stderr = f, f
			}
		}
	}
	return opts
}

// DevServerArgs are all the extra `temporal server start-dev` flags of the
// flag file, search attributes included, for callers that start the server
// themselves rather than through testsuite.StartDevServer.
func DevServerArgs() []string {
	args := append([]string(nil), FastDevServerArgs...)
	for _, a := range DevServerSearchAttributes {
		args = append(args, "--search-attribute", a.Name+"="+a.Type)
	}
	return args
}
