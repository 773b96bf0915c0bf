package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// notificationJSON is the public JSON of `starter notifications --json`.
type notificationJSON struct {
	Key               string `json:"key"`
	OrderID           string `json:"order_id"`
	Channel           string `json:"channel"`
	Recipient         string `json:"recipient"`
	Status            string `json:"status"`
	ProviderMessageID string `json:"provider_message_id"`
	Attempts          int    `json:"attempts"`
	LastError         string `json:"last_error"`
}

func newNotificationsCmd(e *env) *cobra.Command {
	var orderID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "notifications",
		Short: "List the notifications ledger: every email and SMS, its status and provider id",
		Long: `notifications lists the ledger of messages, oldest first. Status is one of
recorded (kept without a provider), pending (being sent), retrying (the
provider took nothing yet), sent, unknown (the provider may have it; an SMS
is not sent again) or failed (last_error says why).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			recs, err := db.ListNotifications(cmd.Context(), orderID)
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]notificationJSON, len(recs))
				for i, r := range recs {
					out[i] = notificationJSON{
						Key: r.Key, OrderID: r.OrderID, Channel: r.Channel, Recipient: r.Recipient, Status: r.Status,
						ProviderMessageID: r.ProviderMessageID, Attempts: r.Attempts, LastError: r.LastError,
					}
				}
				return e.printJSON(out)
			}
			if len(recs) == 0 {
				fmt.Fprintln(e.out, "no notifications match")
				return nil
			}
			t := e.table()
			fmt.Fprintln(t, "KEY\tORDER\tCHANNEL\tRECIPIENT\tSTATUS\tATTEMPTS\tPROVIDER ID\tLAST ERROR")
			for _, r := range recs {
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Key, dash(r.OrderID), r.Channel, r.Recipient, r.Status,
					r.Attempts, dash(r.ProviderMessageID), dash(r.LastError))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&orderID, "order", "", "only this order's notifications")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// dash keeps an empty cell visible in a table.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
