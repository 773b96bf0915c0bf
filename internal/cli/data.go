package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/importer"
	"github.com/acme/backorders/internal/store"
)

func newImportCmd(e *env) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "import --file F",
		Short: "Validate a JSON file of suppliers, products, customers and orders and write it in one transaction",
		Long: `import reads the JSON format described in docs/operations.md, checks all of it, and
writes it all or nothing. Every problem is listed by its JSON path, in
one pass: the file's own and its references to rows in neither the file
nor the database. Limits (ids, names, file size) are in docs/operations.md.
Importing the same ids again updates them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := os.Open(file)
			if err != nil {
				if pathErr := (*fs.PathError)(nil); errors.As(err, &pathErr) {
					err = pathErr.Err
				}
				return fmt.Errorf("cannot read --file %s: %w: give the path of a JSON import file (the format is in docs/operations.md)", file, err)
			}
			defer f.Close()
			// Every problem in one pass: the file's own, then its references
			// that name no row of the file or the database.
			data, problems, err := importer.Check(f)
			if err != nil {
				return err
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				if len(problems) > 0 {
					return &store.ValidationError{Problems: problems,
						Note: "References to rows already in the database were not checked: " + message(err)}
				}
				return err
			}
			unresolved, err := db.UnresolvedReferences(cmd.Context(), data)
			if err != nil {
				return err
			}
			if problems = append(problems, unresolved...); len(problems) > 0 {
				return &store.ValidationError{Problems: problems}
			}
			sum, err := db.Import(cmd.Context(), data)
			if err != nil {
				return err
			}
			t := e.table()
			fmt.Fprintf(t, "Imported %s\t\n", file)
			fmt.Fprintf(t, "  suppliers\t%d\n  products\t%d\n  customers\t%d\n  orders\t%d\n  order lines\t%d\n",
				sum.Suppliers, sum.Products, sum.Customers, sum.Orders, sum.Lines)
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "JSON file to import (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func newSeedCmd(e *env) *cobra.Command {
	var orders, overdue int
	var asOf string
	var seed int64
	cmd := &cobra.Command{
		Use:   "seed --orders N",
		Short: "Add realistic demo data: N orders, a share of them overdue backorders",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if orders < 0 {
				return fmt.Errorf("--orders %d: must be 0 or more", orders)
			}
			if overdue < 0 {
				overdue = orders / 20
			}
			if overdue > orders {
				return fmt.Errorf("--overdue %d is more than --orders %d", overdue, orders)
			}
			date := backorder.DateOf(time.Now(), e.cfg.Location)
			if asOf != "" {
				var err error
				if date, err = backorder.ParseDate(asOf); err != nil {
					return fmt.Errorf("--as-of: %w", err)
				}
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			sum, err := db.Seed(cmd.Context(), store.SeedOptions{
				Orders: orders, Overdue: overdue, AsOf: date, Seed: seed,
				Progress: func(done, total int) {
					e.progressf("seeding: %d/%d orders (%d%%)\n", done, total, done*100/max(total, 1))
				},
			})
			if err != nil {
				return err
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
	return cmd
}
