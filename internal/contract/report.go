package contract

import (
	"time"

	"github.com/acme/backorders/internal/report"
)

// WeeklyReportInput starts a weekly report.
type WeeklyReportInput struct {
	// Week is the ISO week (YYYY-Www); empty means the last complete week
	// before the run was due, as for scheduled runs.
	Week string `json:"week,omitempty"`
	// Email sends it to BACKORDER_REPORT_RECIPIENTS, once per week and
	// recipient.
	Email bool `json:"email"`
}

// ReportWeekInput is when a scheduled report was due.
type ReportWeekInput struct {
	At time.Time `json:"at"`
}

// ComputeReportInput names the ISO week to report.
type ComputeReportInput struct {
	Week string `json:"week"`
}

// StoreReportInput is a computed report.
type StoreReportInput struct {
	Report report.Report `json:"report"`
}

// EmailReportInput is the report to email.
type EmailReportInput struct {
	Report report.Report `json:"report"`
}

// EmailOutcome counts the report emails handed to the notifier this time;
// Duplicates were sent by an earlier run or attempt. Failed counts the
// recipients whose email is not known to have gone out (the ledger says
// failed or unknown, now or from an earlier run), named in
// FailedRecipients; they are never counted as sent.
type EmailOutcome struct {
	Sent             int      `json:"sent"`
	Duplicates       int      `json:"duplicates"`
	Failed           int      `json:"failed"`
	FailedRecipients []string `json:"failed_recipients,omitempty"`
}
