package operations

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// Stages are every stage a per-order workflow reports, the values a stage
// filter accepts.
var Stages = []contract.Stage{
	contract.StageAssessing, contract.StageAwaitingFulfillment, contract.StageRechecking, contract.StageEscalated,
	contract.StageFulfilled, contract.StageCancelled, contract.StageNotBackordered,
}

// Backorders lists the open backorder episodes matching f, oldest first,
// from PostgreSQL (no Temporal needed). An open episode's stage there is
// awaiting_fulfillment or escalated; f.Stage may be any stage in Stages
// (others match nothing), anything else is an *InvalidError, as is a
// negative limit or minimum value.
func (s *Service) Backorders(ctx context.Context, f store.BackorderFilter) ([]store.BackorderSummary, error) {
	if f.Stage != "" && !slices.Contains(Stages, f.Stage) {
		return nil, &InvalidError{Field: "stage", Reason: fmt.Sprintf("%q is not a stage: use one of %s", f.Stage, stageList())}
	}
	if f.Limit < 0 {
		return nil, &InvalidError{Field: "limit", Reason: fmt.Sprintf("%d: use 1 or more, or 0 for all", f.Limit)}
	}
	if f.MinValue != nil && f.MinValue.IsNegative() {
		return nil, &InvalidError{Field: "min_value", Reason: fmt.Sprintf("%s: use 0 or more", f.MinValue)}
	}
	db, err := s.store(ctx)
	if err != nil {
		return nil, err
	}
	return db.Backorders(ctx, f)
}

func stageList() string {
	names := make([]string, len(Stages))
	for i, st := range Stages {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// BackorderView is one open backorder episode as people and systems read
// it: an element of `starter backorders --json` and of the HTTP API's
// backorder list (docs/operations.md, docs/api.md).
type BackorderView struct {
	OrderID        string         `json:"order_id"`
	IncidentID     string         `json:"incident_id"`
	Stage          contract.Stage `json:"stage"`
	DelayDays      int            `json:"delay_days"`
	BackorderValue string         `json:"backorder_value"` // exact decimal
	Currency       string         `json:"currency"`
	ETA            string         `json:"eta"` // YYYY-MM-DD
	ETAVersion     int            `json:"eta_version"`
	OpenedAt       time.Time      `json:"opened_at"`
	AgeSeconds     int64          `json:"age_seconds"` // since opened_at
}

// ViewOf is the open episode b as listed at now.
func ViewOf(b store.BackorderSummary, now time.Time) BackorderView {
	return BackorderView{
		OrderID: b.OrderID, IncidentID: b.IncidentID, Stage: b.Stage, DelayDays: b.DelayDays,
		BackorderValue: backorder.FormatMoney(b.Value), Currency: b.Currency, ETA: b.ETA.Format(backorder.DateLayout),
		ETAVersion: b.ETAVersion, OpenedAt: b.OpenedAt.UTC(), AgeSeconds: int64(now.Sub(b.OpenedAt).Seconds()),
	}
}
