package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/cli"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
	"github.com/acme/backorders/internal/web"
)

// runWithInput runs the starter with stdin and returns what it left.
func runWithInput(stdin string, args ...string) failure {
	var out, errOut bytes.Buffer
	code := cli.Run(args, strings.NewReader(stdin), &out, &errOut)
	return failure{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestUsersAddListRemove(t *testing.T) {
	s, dbURL := pgtest.NewStore(t)
	usingEnv(t, "DATABASE_URL", dbURL)

	out := succeedWithInput(t, "correct horse battery\n", "users", "add", "alice", "--role", "procurement_manager")
	assert.Equal(t, "user alice added as procurement_manager, with a password\n", out)
	u, err := s.UserByName(context.Background(), "alice")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u.PasswordHash, "$argon2id$"), "only a hash is stored")
	assert.NotContains(t, u.PasswordHash, "horse")
	assert.True(t, web.PasswordMatches(u.PasswordHash, "correct horse battery"), "the final newline is not part of the password")

	requireOneLine(t, runWithInput("another long password", "users", "add", "alice", "--role", "admin"), exitRefused,
		"user alice exists", "--reset", "nothing was changed")
	out = succeedWithInput(t, "another long password", "users", "add", "alice", "--role", "admin", "--reset")
	assert.Contains(t, out, "user alice added or reset as admin")
	u, err = s.UserByName(context.Background(), "alice")
	require.NoError(t, err)
	assert.Equal(t, store.UserAdmin, u.Role)
	assert.True(t, web.PasswordMatches(u.PasswordHash, "another long password"))

	succeedWithInput(t, "", "users", "add", "carol@example.com", "--role", "warehouse_manager", "--sso-only")
	var listed []map[string]any
	require.NoError(t, json.Unmarshal([]byte(succeed(t, "users", "list", "--json")), &listed))
	require.Len(t, listed, 2)
	assert.Equal(t, "alice", listed[0]["username"])
	assert.Equal(t, true, listed[0]["password"])
	assert.Equal(t, "carol@example.com", listed[1]["username"])
	assert.Equal(t, false, listed[1]["password"])
	assert.NotContains(t, succeed(t, "users", "list", "--json"), "argon2")
	assert.Contains(t, succeed(t, "users", "list"), "carol@example.com  warehouse_manager  single sign-on")

	assert.Equal(t, "user alice removed; its sessions are ended\n", succeed(t, "users", "remove", "alice"))
	requireOneLine(t, run("users", "remove", "alice"), exitNotFound, "user alice does not exist")
}

func TestUsersAddRefusesBadInputInOneLine(t *testing.T) {
	usingEnv(t) // no database: every case is refused before one is needed
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"long enough password", []string{"users", "add", "alice", "--role", "boss"}, `--role "boss": use one of procurement_manager, inventory_clerk, warehouse_manager, admin`},
		{"long enough password", []string{"users", "add", "bad name", "--role", "admin"}, `NAME "bad name"`},
		{"", []string{"users", "add", "alice", "--role", "admin"}, "no password on standard input"},
		{"short\n", []string{"users", "add", "alice", "--role", "admin"}, "the password has 5 characters: use at least 12"},
		{strings.Repeat("x", 300), []string{"users", "add", "alice", "--role", "admin"}, "longer than 256 bytes"},
	} {
		requireOneLine(t, runWithInput(tc.stdin, tc.args...), exitUsage, tc.want)
	}
	requireOneLine(t, run("users", "add", "alice"), exitUsage, `required flag(s) "role" not set`)
}

func TestServeAndUsersHaveHelp(t *testing.T) {
	usingEnv(t)
	for args, want := range map[string][]string{
		"serve":        {"starter serve [--addr HOST:PORT]", "BACKORDER_HTTP_ADDR", "127.0.0.1:8080", "BACKORDER_PUBLIC_URL", "/api/v1/"},
		"users add":    {"--role", "standard input", "argon2id", "--reset", "--sso-only", "--json"},
		"users list":   {"--json"},
		"users remove": {"--json"},
	} {
		out := succeed(t, append(strings.Fields(args), "--help")...)
		for _, w := range want {
			assert.Contains(t, out, w, args)
		}
	}
	requireOneLine(t, run("serve", "--addr", "8080"), exitUsage, `--addr "8080" must be HOST:PORT`)
}
