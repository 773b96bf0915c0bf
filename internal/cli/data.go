package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/importer"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// importJSON is `import --json`, documented in docs/operations.md.
type importJSON struct {
	File   string `json:"file"` // "-" for standard input
	DryRun bool   `json:"dry_run"`
	// Written: the rows are in the database. False for a dry run and a
	// rejected file.
	Written bool `json:"written"`
	// Problems lists a rejected file's problems by JSON path; empty when
	// it was accepted.
	Problems []string `json:"problems"`
	// Note, on a rejection, says what could not be checked.
	Note      string          `json:"note,omitempty"`
	Suppliers *rowChangesJSON `json:"suppliers,omitempty"`
	Products  *rowChangesJSON `json:"products,omitempty"`
	Customers *rowChangesJSON `json:"customers,omitempty"`
	Orders    *rowChangesJSON `json:"orders,omitempty"`
	Lines     *rowChangesJSON `json:"lines,omitempty"`
}

// rowChangesJSON counts the rows of one kind the import inserts, updates
// and (order lines only) deletes.
type rowChangesJSON struct {
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	Deleted  int `json:"deleted"`
}

func newImportCmd(e *env) *cobra.Command {
	var file string
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "import --file F",
		Short: "Validate a JSON file of suppliers, products, customers and orders and write it in one transaction",
		Long: `import reads the JSON format described in docs/operations.md, checks all of it, and
writes it all or nothing. Every problem is listed by its JSON path, in
one pass: the file's own and its references to rows in neither the file
nor the database. Limits (ids, names, file size) are in docs/operations.md.
Importing the same ids again updates them.

--file - reads standard input. --dry-run checks everything the same way
and prints what the import would insert, update and delete, writing
nothing. A rejected file exits 4; with --json its problems are in the
JSON on standard output as well.`,
		Example: `  starter import --file orders.json
  starter import --file orders.json --dry-run
  cat orders.json | starter import --file - --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, name, err := e.openInput(file)
			if err != nil {
				return err
			}
			defer in.Close()
			out := importJSON{File: file, DryRun: dryRun, Problems: []string{}}
			changes, err := e.importData(cmd.Context(), in, dryRun)
			var rejected *store.ValidationError
			if errors.As(err, &rejected) && asJSON {
				out.Problems, out.Note = rejected.Problems, rejected.Note
				if err := e.printJSON(out); err != nil {
					return err
				}
				return &operations.RefusedError{Reason: fmt.Sprintf("import rejected: %d problem(s) (nothing was written), listed in the JSON on standard output", len(rejected.Problems))}
			}
			if err != nil {
				return err
			}
			if asJSON {
				out.Written = !dryRun
				out.Suppliers, out.Products, out.Customers = rowChanges(changes.Suppliers), rowChanges(changes.Products), rowChanges(changes.Customers)
				out.Orders, out.Lines = rowChanges(changes.Orders), rowChanges(changes.Lines)
				return e.printJSON(out)
			}
			t := e.table()
			if dryRun {
				fmt.Fprintf(t, "Would import %s (dry run: nothing was written)\t\n", name)
			} else {
				fmt.Fprintf(t, "Imported %s\t\n", name)
			}
			for _, k := range []struct {
				label string
				c     store.RowChanges
			}{
				{"suppliers", changes.Suppliers}, {"products", changes.Products}, {"customers", changes.Customers},
				{"orders", changes.Orders}, {"order lines", changes.Lines},
			} {
				fmt.Fprintf(t, "  %s\t%d (%s)\n", k.label, k.c.Insert+k.c.Update, describeChanges(k.c, dryRun))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "JSON file to import, - for standard input (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and print what would change, writing nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result (or a rejected file's problems) as JSON")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// openInput opens the --file argument: "-" is standard input.
func (e *env) openInput(file string) (io.ReadCloser, string, error) {
	if file == "-" {
		return io.NopCloser(e.in), "standard input", nil
	}
	f, err := os.Open(file)
	if err != nil {
		if pathErr := (*fs.PathError)(nil); errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return nil, "", badValue("cannot read --file %s: %v: give the path of a JSON import file, or - for standard input (the format is in docs/operations.md)", file, err)
	}
	return f, file, nil
}

// importData checks the data and, unless dryRun, writes it; either way it
// says what the import inserts, updates and deletes. Every problem comes
// in one pass: the file's own, then its references that name no row of
// the file or the database.
func (e *env) importData(ctx context.Context, in io.Reader, dryRun bool) (store.ImportChanges, error) {
	data, problems, err := importer.Check(in)
	if err != nil {
		return store.ImportChanges{}, err
	}
	db, err := e.store(ctx)
	if err != nil {
		if len(problems) > 0 {
			return store.ImportChanges{}, &store.ValidationError{Problems: problems,
				Note: "References to rows already in the database were not checked: " + message(err)}
		}
		return store.ImportChanges{}, err
	}
	unresolved, err := db.UnresolvedReferences(ctx, data)
	if err != nil {
		return store.ImportChanges{}, err
	}
	if problems = append(problems, unresolved...); len(problems) > 0 {
		return store.ImportChanges{}, &store.ValidationError{Problems: problems}
	}
	changes, err := db.PlanImport(ctx, data)
	if err != nil || dryRun {
		return changes, err
	}
	_, err = db.Import(ctx, data)
	return changes, err
}

func rowChanges(c store.RowChanges) *rowChangesJSON {
	return &rowChangesJSON{Inserted: c.Insert, Updated: c.Update, Deleted: c.Delete}
}

// describeChanges reads "2 new, 1 updated", in the conditional for a dry
// run ("2 to insert, 1 to update").
func describeChanges(c store.RowChanges, dryRun bool) string {
	parts := []string{fmt.Sprintf("%d new", c.Insert), fmt.Sprintf("%d updated", c.Update)}
	if dryRun {
		parts = []string{fmt.Sprintf("%d to insert", c.Insert), fmt.Sprintf("%d to update", c.Update)}
	}
	if c.Delete > 0 {
		if dryRun {
			parts = append(parts, fmt.Sprintf("%d to delete", c.Delete))
		} else {
			parts = append(parts, fmt.Sprintf("%d deleted", c.Delete))
		}
	}
	return strings.Join(parts, ", ")
}

// seedJSON is `seed --json`, documented in docs/operations.md: the rows
// added (reference rows that existed are reused, not counted).
type seedJSON struct {
	Orders    int    `json:"orders"`
	Overdue   int    `json:"overdue"` // of them, Backordered with a promised date before as_of
	AsOf      string `json:"as_of"`
	Lines     int    `json:"lines"`
	Customers int    `json:"customers"`
	Suppliers int    `json:"suppliers"`
	Products  int    `json:"products"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

func newSeedCmd(e *env) *cobra.Command {
	var orders, overdue int
	var asOf string
	var seed int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "seed --orders N",
		Short: "Add realistic demo data: N orders, a share of them overdue backorders",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if orders < 0 {
				return badValue("--orders %d: must be 0 or more", orders)
			}
			if overdue < 0 {
				overdue = orders / 20
			}
			if overdue > orders {
				return badValue("--overdue %d is more than --orders %d", overdue, orders)
			}
			date := backorder.DateOf(time.Now(), e.cfg.Location)
			if asOf != "" {
				var err error
				if date, err = backorder.ParseDate(asOf); err != nil {
					return badValue("--as-of: %v", err)
				}
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			p := e.newProgress()
			sum, err := db.Seed(cmd.Context(), store.SeedOptions{
				Orders: orders, Overdue: overdue, AsOf: date, Seed: seed,
				Progress: func(done, total int) {
					p.report(fmt.Sprintf("seeding: %d/%d orders (%d%%)", done, total, done*100/max(total, 1)), done, total)
				},
			})
			p.finish()
			if err != nil {
				return err
			}
			if asJSON {
				return e.printJSON(seedJSON{
					Orders: sum.Orders, Overdue: sum.Overdue, AsOf: date.Format(backorder.DateLayout), Lines: sum.Lines,
					Customers: sum.Customers, Suppliers: sum.Suppliers, Products: sum.Products, ElapsedMS: sum.Elapsed.Milliseconds(),
				})
			}
			t := e.table()
			fmt.Fprintf(t, "Seeded in %s\t\n", sum.Elapsed.Round(time.Millisecond))
			fmt.Fprintf(t, "  orders\t%d (%d overdue backorders as of %s)\n", sum.Orders, sum.Overdue, date.Format(backorder.DateLayout))
			fmt.Fprintf(t, "  order lines\t%d\n  customers\t%d\n  suppliers\t%d\n  products\t%d\n",
				sum.Lines, sum.Customers, sum.Suppliers, sum.Products)
			return t.Flush()
		},
	}
	cmd.Flags().IntVar(&orders, "orders", 200, "how many orders to add")
	cmd.Flags().IntVar(&overdue, "overdue", -1, "how many of them are overdue backorders (default: 1 in 20)")
	cmd.Flags().StringVar(&asOf, "as-of", "", "date overdue is measured against, YYYY-MM-DD (default: today in BACKORDER_TIMEZONE)")
	cmd.Flags().Int64Var(&seed, "seed", 1, "random seed; the same seed gives the same data")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
