package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/store"
)

// migrationJSON is `migrate --json`, documented in docs/operations.md.
type migrationJSON struct {
	Database    string          `json:"database"`     // host:port/database, no credentials
	FromVersion int64           `json:"from_version"` // schema version before; 0 for none
	ToVersion   int64           `json:"to_version"`   // schema version after
	Applied     []migrationFile `json:"applied"`      // in order; [] when the schema was current
}

type migrationFile struct {
	Version int64  `json:"version"`
	File    string `json:"file"`
}

func newMigrateCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the pending schema migrations to the existing database (no Temporal, never creates the database)",
		Long: `migrate brings the schema of the database DATABASE_URL names up to the
version this build needs, applying the embedded migrations it lacks, and
says which it applied, or that the schema is current. Running it again is
a no-op; concurrent runs wait for each other.

It connects to that database as it is and never runs CREATE DATABASE, so
it works on managed PostgreSQL, where the role may not create databases:
create the database yourself, run migrate, then run setup for the
Temporal side (search attributes, schedules). It needs no Temporal.

Every other command that uses the database refuses one without the
current schema with "run ` + "`starter migrate`" + `".`,
		Example: `  starter migrate
  starter migrate --json   # {"database", "from_version", "to_version", "applied": [{"version", "file"}]}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := e.storeAsIs(cmd.Context())
			if err != nil {
				return err
			}
			m, err := db.ApplyMigrations(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return e.printJSON(migrationToJSON(m))
			}
			e.printMigration(m)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func migrationToJSON(m store.Migration) migrationJSON {
	out := migrationJSON{Database: m.Database, FromVersion: m.FromVersion, ToVersion: m.ToVersion, Applied: []migrationFile{}}
	for _, a := range m.Applied {
		out.Applied = append(out.Applied, migrationFile{Version: a.Version, File: a.File})
	}
	return out
}

func (e *env) printMigration(m store.Migration) {
	t := e.table()
	fmt.Fprintf(t, "database\t%s\n", m.Database)
	for _, a := range m.Applied {
		fmt.Fprintf(t, "applied\t%s\n", a.File)
	}
	if len(m.Applied) == 0 {
		fmt.Fprintf(t, "schema\tversion %d, current: nothing to apply\n", m.ToVersion)
	} else {
		fmt.Fprintf(t, "schema\tversion %d (was %d)\n", m.ToVersion, m.FromVersion)
	}
	_ = t.Flush()
}

// migrationSummary is setup's line about the schema.
func migrationSummary(m store.Migration) string {
	if len(m.Applied) == 0 {
		return fmt.Sprintf("migrated (schema version %d, already current)", m.ToVersion)
	}
	return fmt.Sprintf("migrated (schema version %d to %d, %d applied)", m.FromVersion, m.ToVersion, len(m.Applied))
}
