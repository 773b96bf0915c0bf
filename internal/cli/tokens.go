package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/api"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

func newTokensCmd(e *env) *cobra.Command {
	tokens := &cobra.Command{
		Use:   "tokens",
		Short: "Manage the bearer tokens of systems that call the JSON API",
		Long: `tokens creates, lists and revokes the bearer tokens that systems (an order
system, an ERP) send to the JSON API under /api/v1/ of ` + "`starter serve`" + `.
Each token has a name, recorded as who acted, and scopes that say what it
may do:

` + scopeHelp() + `
A token is shown once, when it is created; only its SHA-256 is stored.
See docs/api.md.`,
	}
	tokens.AddCommand(newTokensCreateCmd(e), newTokensListCmd(e), newTokensRevokeCmd(e))
	return tokens
}

func scopeHelp() string {
	var b strings.Builder
	for _, s := range api.Scopes {
		fmt.Fprintf(&b, "  %-16s %s\n", s, s.Allows())
	}
	return b.String()
}

// tokenJSON is the public JSON of `starter tokens create --json` and
// `starter tokens list --json`; Token only at creation.
type tokenJSON struct {
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	Token      string     `json:"token,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func newTokensCreateCmd(e *env) *cobra.Command {
	var scopeList string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create NAME --scope SCOPE[,SCOPE...]",
		Short: "Create a token with scopes and print it, once",
		Long: `create makes a token named NAME with the scopes given and prints it on
standard output, alone on its line (or in --json), so a script can keep it:
it is shown this once, and only its SHA-256 is stored. NAME is recorded
as who acted on whatever the token does; it is a letter or digit, then up
to 63 letters, digits and . _ @ + -.

Scopes:
` + scopeHelp(),
		Example: `  starter tokens create erp --scope orders:read,orders:write,backorders:read`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !store.ValidTokenName(name) {
				return &usageError{cmd: cmd, err: fmt.Errorf("token name %q: use a letter or digit, then up to 63 letters, digits and . _ @ + -", name)}
			}
			scopes, err := api.ParseScopes(scopeList)
			if err != nil {
				return &usageError{cmd: cmd, err: fmt.Errorf("--scope: %w", err)}
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			token, hash := api.NewToken()
			created, err := db.CreateAPIToken(cmd.Context(), name, hash, api.ScopeNames(scopes))
			if errors.Is(err, store.ErrTokenExists) {
				return &operations.RefusedError{Reason: fmt.Sprintf(
					"a token named %s exists: pick another name, or `starter tokens revoke %s` first (nothing was changed)", name, name)}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return e.printJSON(tokenJSON{Name: name, Scopes: created.Scopes, Token: token, CreatedAt: created.CreatedAt.UTC()})
			}
			e.progressf("token %s created with scopes %s; it is shown only now, so keep it in your secret store:\n",
				name, strings.Join(created.Scopes, ", "))
			fmt.Fprintln(e.out, token)
			return nil
		},
	}
	cmd.Flags().StringVar(&scopeList, "scope", "", "comma-separated scopes (required): "+strings.Join(api.ScopeNames(api.Scopes), ", "))
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("scope")
	return cmd
}

func newTokensListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tokens: names, scopes, when created and last used (never the tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			tokens, err := db.APITokens(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]tokenJSON, len(tokens))
				for i, t := range tokens {
					out[i] = tokenJSON{Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt.UTC(), LastUsedAt: t.LastUsedAt}
				}
				return e.printJSON(out)
			}
			if len(tokens) == 0 {
				fmt.Fprintln(e.out, "no tokens: create one with `starter tokens create NAME --scope ...`")
				return nil
			}
			t := e.table()
			fmt.Fprintln(t, "NAME\tSCOPES\tCREATED\tLAST USED")
			for _, tok := range tokens {
				used := "never"
				if tok.LastUsedAt != nil {
					used = tok.LastUsedAt.In(e.cfg.Location).Format("2006-01-02 15:04")
				}
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", tok.Name, strings.Join(tok.Scopes, ","),
					tok.CreatedAt.In(e.cfg.Location).Format("2006-01-02 15:04"), used)
			}
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newTokensRevokeCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token at once: its next request is refused",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			err = db.DeleteAPIToken(cmd.Context(), args[0])
			if errors.Is(err, store.ErrNotFound) {
				return &operations.NotFoundError{What: "token", ID: args[0], Hint: "see `starter tokens list`"}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "token %s revoked\n", args[0])
			return nil
		},
	}
}
