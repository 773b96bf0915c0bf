package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/web"
)

// userJSON is the public JSON of `starter users add --json` and
// `starter users list --json`; never a password or its hash.
type userJSON struct {
	Username string         `json:"username"`
	Role     store.UserRole `json:"role"`
	// Password: the account signs in with a password; false for one that
	// signs in through single sign-on only.
	Password  bool      `json:"password"`
	CreatedAt time.Time `json:"created_at"`
}

func newUsersCmd(e *env) *cobra.Command {
	users := &cobra.Command{
		Use:   "users",
		Short: "Manage the people who sign in to the web app (starter serve)",
		Long: `users adds, lists and removes the accounts people sign in to the web app
with. Each has a role, which decides what it sees and may do:

  procurement_manager  completes procurement tasks (with a confirmed ETA), revises ETAs
  inventory_clerk      completes inventory clerk tasks
  warehouse_manager    marks orders fulfilled and cancels them
  admin                all of the above

Everyone signed in reads the backorders, the orders and the weekly report.
See docs/web.md.`,
	}
	users.AddCommand(newUsersAddCmd(e), newUsersListCmd(e), newUsersRemoveCmd(e))
	return users
}

func roleNames() string {
	names := make([]string, len(store.UserRoles))
	for i, r := range store.UserRoles {
		names[i] = string(r)
	}
	return strings.Join(names, "|")
}

func newUsersAddCmd(e *env) *cobra.Command {
	var role string
	var reset, ssoOnly, asJSON bool
	cmd := &cobra.Command{
		Use:   "add NAME --role " + roleNames(),
		Short: "Add an account; its password is read from standard input",
		Long: fmt.Sprintf(`add creates the account NAME with a role. The password is read from
standard input (everything up to the end, less one final newline), or
asked for without echo when standard input is a terminal; it must have
%d to %d characters, and only its argon2id hash is stored.

NAME is a letter or digit, then up to 63 letters, digits and . _ @ + -
(an email address fits). A name that is taken is refused; --reset gives
that account the new role and password instead and signs it out
everywhere. --sso-only adds an account without a password, which signs
in through OpenID Connect only (BACKORDER_OIDC_ISSUER): the provider's
preferred_username, else its verified email, must be NAME.`, web.MinPasswordLength, web.MaxPasswordLength),
		Example: `  printf '%s' "$PASSWORD" | starter users add alice --role procurement_manager
  starter users add bob --role inventory_clerk          # asks for the password
  starter users add carol@example.com --role warehouse_manager --sso-only`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !store.ValidUsername(name) {
				return badValue("NAME %q: use a letter or digit, then up to 63 letters, digits and . _ @ + -", name)
			}
			if !slices.Contains(store.UserRoles, store.UserRole(role)) {
				return badValue("--role %q: use one of %s", role, strings.ReplaceAll(roleNames(), "|", ", "))
			}
			u := store.User{Username: name, Role: store.UserRole(role)}
			if !ssoOnly {
				password, err := readPassword(cmd.InOrStdin(), e.err, name)
				if err != nil {
					return err
				}
				if err := web.CheckPasswordRules(password); err != nil {
					return badValue("%v", err)
				}
				if u.PasswordHash, err = web.HashPassword(password); err != nil {
					return err
				}
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := db.AddUser(cmd.Context(), u, reset); errors.Is(err, store.ErrUserExists) {
				return &operations.RefusedError{Reason: fmt.Sprintf("user %s exists: choose another name, or add --reset to give it this role and password (nothing was changed)", name)}
			} else if err != nil {
				return err
			}
			if asJSON {
				return e.printJSON(userJSON{Username: name, Role: u.Role, Password: !ssoOnly, CreatedAt: time.Now().UTC()})
			}
			how := "with a password"
			if ssoOnly {
				how = "signing in through single sign-on only"
			}
			verb := "added"
			if reset {
				verb = "added or reset"
			}
			fmt.Fprintf(e.out, "user %s %s as %s, %s\n", name, verb, role, how)
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "what the account may do: "+strings.ReplaceAll(roleNames(), "|", ", ")+" (required)")
	cmd.Flags().BoolVar(&reset, "reset", false, "if NAME exists, give it this role and password and end its sessions")
	cmd.Flags().BoolVar(&ssoOnly, "sso-only", false, "no password: the account signs in through OpenID Connect only")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

// readPassword reads a password from in: without echo, asked twice, when
// it is a terminal; else all of it, less one final newline.
func readPassword(in io.Reader, prompt io.Writer, name string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(prompt, "Password for %s: ", name)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		fmt.Fprintf(prompt, "The same again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if string(first) != string(second) {
			return "", badValue("the two passwords differ: nothing was changed")
		}
		return string(first), nil
	}
	// One byte past the limit tells a password that is too long.
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(in), web.MaxPasswordLength+3))
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	password := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if password == "" {
		return "", badValue("no password on standard input: pipe one in, such as printf '%%s' \"$PASSWORD\" | starter users add %s --role ROLE (or add --sso-only)", name)
	}
	return password, nil
}

func newUsersListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the accounts and their roles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			users, err := db.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]userJSON, len(users))
				for i, u := range users {
					out[i] = userJSON{Username: u.Username, Role: u.Role, Password: u.HasPassword, CreatedAt: u.CreatedAt.UTC()}
				}
				return e.printJSON(out)
			}
			if len(users) == 0 {
				fmt.Fprintln(e.out, "no users: add one with `starter users add NAME --role ROLE`")
				return nil
			}
			t := e.table()
			fmt.Fprintln(t, "USERNAME\tROLE\tSIGNS IN WITH\tADDED")
			for _, u := range users {
				with := "password"
				if !u.HasPassword {
					with = "single sign-on"
				}
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", u.Username, u.Role, with, u.CreatedAt.In(e.cfg.Location).Format("2006-01-02 15:04"))
			}
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newUsersRemoveCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an account and sign it out everywhere",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := db.RemoveUser(cmd.Context(), args[0]); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("user %s does not exist: see `starter users list`: %w", args[0], err)
			} else if err != nil {
				return err
			}
			if asJSON {
				return e.printJSON(map[string]string{"removed": args[0]})
			}
			fmt.Fprintf(e.out, "user %s removed; its sessions are ended\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
