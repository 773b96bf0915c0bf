package cli

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/notify"
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
	var asJSON, stuck bool
	var olderThan time.Duration
	cmd := &cobra.Command{
		Use:   "notifications",
		Short: "List the notifications ledger: every email and SMS, its status and provider id",
		Long: `notifications lists the ledger of messages, oldest first. Status is one of
recorded (kept without a provider), pending (being sent), retrying (the
provider took nothing yet), sent, unknown (the provider may have it; an email
is sent at most twice, an SMS once) or failed (last_error says why).

Before the table it says, on standard error, where this configuration sends
email and SMS (a provider, or the ledger only).

--stuck lists only the messages not settled for longer than --older-than:
pending or retrying ones whose workflow stopped waiting, and unknown ones a
person must decide about. "notifications resend KEY" sends one again.`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{actsItself: "yes"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if stuck && orderID != "" {
				return badValue("--stuck lists every order's stuck messages: leave out --order")
			}
			if olderThan < 0 {
				return badValue("--older-than %s: use a duration of 0 or more, such as 15m", olderThan)
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			var recs []notify.LedgerRecord
			if stuck {
				recs, err = db.StuckNotifications(cmd.Context(), olderThan)
			} else {
				recs, err = db.ListNotifications(cmd.Context(), orderID)
			}
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
			e.progressf("email: %s\nsms:   %s\n", e.cfg.EmailRoute(), e.cfg.SMSRoute())
			if len(recs) == 0 {
				fmt.Fprintln(e.out, "no notifications match")
				return nil
			}
			t := e.table()
			fmt.Fprintln(t, "KEY\tORDER\tCHANNEL\tRECIPIENT\tSTATUS\tATTEMPTS\tUPDATED\tPROVIDER ID\tLAST ERROR")
			for _, r := range recs {
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Key, dash(r.OrderID), r.Channel, r.Recipient, r.Status,
					r.Attempts, r.UpdatedAt.UTC().Format(time.RFC3339), dash(r.ProviderMessageID), dash(r.LastError))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&orderID, "order", "", "only this order's notifications")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&stuck, "stuck", false, "only messages not settled (pending, retrying, unknown) for longer than --older-than")
	cmd.Flags().DurationVar(&olderThan, "older-than", notify.StuckAfter, "with --stuck: how long unsettled")
	cmd.AddCommand(newResendCmd(e))
	return cmd
}

// resentJSON is `notifications resend --json`.
type resentJSON struct {
	Key               string `json:"key"`
	Channel           string `json:"channel"`
	Status            string `json:"status"`
	ProviderMessageID string `json:"provider_message_id"`
	ResentBy          string `json:"resent_by"`
}

func newResendCmd(e *env) *cobra.Command {
	var by string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "resend KEY",
		Short: "Send one message of the ledger again, because a person decided to",
		Long: `resend sends the message with ledger key KEY once more through its channel's
provider (SENDGRID_* or TWILIO_* must be set here, as for the worker), and
records who asked (--by). Only a message whose outcome is unknown, that
failed, or that has been pending or retrying for longer than 15 minutes can
be resent; a sent one cannot. Nothing ever resends by itself: an unknown SMS
may have reached the phone, so only a person who checked decides.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(by) == "" {
				return badValue("--by is required: who decided to resend it")
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			rec, err := db.NotificationByKey(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			n, err := notify.New(e.cfg, db, slog.New(slog.NewTextHandler(e.err, nil)))
			if err != nil {
				return err
			}
			out, err := n.Resend(cmd.Context(), rec.Channel, rec.Key, by)
			if err != nil {
				return fmt.Errorf("resending %s: %w", rec.Key, err)
			}
			if !out.Delivered() {
				return fmt.Errorf("resending %s: %s: %s", rec.Key, out.Status, out.Error)
			}
			if asJSON {
				return e.printJSON(resentJSON{Key: rec.Key, Channel: rec.Channel, Status: out.Status, ProviderMessageID: out.ProviderMessageID, ResentBy: by})
			}
			fmt.Fprintf(e.out, "%s sent again (provider id %s), as %s decided\n", rec.Key, dash(out.ProviderMessageID), by)
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who decided to resend it (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// dash keeps an empty cell visible in a table.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
