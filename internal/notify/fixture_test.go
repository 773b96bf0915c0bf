package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// fixture is a ledger with order SO-1 and its open incident.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	s        *store.Store
	incident string
	logs     bytes.Buffer
	log      *slog.Logger
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, _ := pgtest.NewStore(t)
	f := &fixture{t: t, ctx: context.Background(), s: s}
	f.log = slog.New(slog.NewTextHandler(&f.logs, nil))
	_, err := s.Import(f.ctx, store.Dataset{
		Suppliers: []store.Supplier{{ID: "SUP-1", Name: "Acme", Email: "orders@acme.example"}},
		Products:  []store.Product{{SKU: "SKU-1", Name: "Widget", SupplierID: "SUP-1"}},
		Customers: []store.Customer{{ID: "C-1", Name: "Jane Doe", Email: "jane@example.com"}},
		Orders: []store.Order{{ID: "SO-1", CustomerID: "C-1", Status: "Backordered", Currency: "USD",
			PromisedDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			Lines:        []store.OrderLine{{SKU: "SKU-1", Quantity: 2, BackorderedQuantity: 2, UnitPrice: decimal.RequireFromString("19.99")}}}},
	})
	require.NoError(t, err)
	f.incident, err = s.OpenIncident(f.ctx, store.Incident{
		EpisodeKey: "ep-1", OrderID: "SO-1", DelayDays: 26, BackorderValue: decimal.RequireFromString("39.98"),
		Currency: "USD", ETA: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), MitigationPlan: "wait",
	})
	require.NoError(t, err)
	return f
}

func (f *fixture) email(key string) notify.Message {
	return notify.Message{
		Key: key, OrderID: "SO-1", IncidentID: f.incident, Channel: "email", Recipient: "jane@example.com",
		Subject: "Your order SO-1 is delayed", Body: "Dear Jane Doe, ...", HTMLBody: "<p>Dear Jane Doe, ...</p>",
	}
}

func (f *fixture) sms(key, phone string) notify.Message {
	return notify.Message{
		Key: key, OrderID: "SO-1", IncidentID: f.incident, Channel: "sms", Recipient: phone,
		Body: "Backorder SO-1: 1500.00 USD at risk, new ETA 2026-12-07.",
	}
}

// row is the ledger row of key.
func (f *fixture) row(key string) notify.LedgerRecord {
	f.t.Helper()
	recs, err := f.s.ListNotifications(f.ctx, "SO-1")
	require.NoError(f.t, err)
	for _, r := range recs {
		if r.Key == key {
			return r
		}
	}
	f.t.Fatalf("no ledger row %s", key)
	return notify.LedgerRecord{}
}

// deliveryFailures is what the incident says went undelivered.
func (f *fixture) deliveryFailures() []map[string]string {
	f.t.Helper()
	var raw []byte
	require.NoError(f.t, f.s.Pool().QueryRow(f.ctx, `SELECT delivery_failures FROM incidents WHERE id = $1`, f.incident).Scan(&raw))
	var out []map[string]string
	require.NoError(f.t, json.Unmarshal(raw, &out))
	return out
}

// requireRetry checks err asks Temporal to retry after delay (0: as the
// retry policy says).
func requireRetry(t *testing.T, err error, delay time.Duration) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want a retryable ApplicationError, got %T: %v", err, err)
	assert.False(t, appErr.NonRetryable())
	assert.Equal(t, "ProviderUnavailable", appErr.Type())
	assert.InDelta(t, delay.Seconds(), appErr.NextRetryDelay().Seconds(), 2)
}
