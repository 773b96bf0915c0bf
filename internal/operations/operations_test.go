package operations_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/operations/operationstest"
	"github.com/acme/backorders/internal/store"
)

// Nothing listens on port 1: connecting is refused at once.
const deadTemporal = "127.0.0.1:1"

func settings(tz string) config.Config {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	return config.Config{Location: loc, TemporalAddress: deadTemporal, TemporalNamespace: "default"}
}

// unreachable dials a Temporal that is not there, as the starter's dial
// fails.
func unreachable() (client.Client, error) {
	return nil, errors.New("cannot reach Temporal at 127.0.0.1:1 (namespace \"default\")")
}

// notContacted fails the test if the operation reaches for a service.
func notContacted(t *testing.T) *operations.Service {
	return &operations.Service{
		Config: settings("UTC"),
		OpenStore: func(context.Context) (*store.Store, error) {
			t.Error("PostgreSQL was contacted")
			return nil, errors.New("no database in this test")
		},
		DialTemporal: func() (client.Client, error) {
			t.Error("Temporal was contacted")
			return unreachable()
		},
	}
}

func TestClosingAClosedOrderIsRefusedAndChangesNothing(t *testing.T) {
	s, _ := operationstest.OrdersDB(t, map[string]string{"SO-F": "Fulfilled", "SO-C": "Cancelled", "SO-P": "Pending"})
	// A refusal comes before Temporal is needed.
	svc := &operations.Service{Store: s, Config: settings("UTC"), DialTemporal: func() (client.Client, error) {
		t.Error("Temporal was contacted")
		return unreachable()
	}}
	for _, tc := range []struct {
		order string
		to    contract.OrderStatus
		want  string
	}{
		{"SO-F", contract.OrderFulfilled, "order SO-F is already Fulfilled: nothing to do (nothing was changed)"},
		{"SO-C", contract.OrderCancelled, "order SO-C is already Cancelled: nothing to do (nothing was changed)"},
		{"SO-P", contract.OrderFulfilled, "order SO-P is Pending, not Backordered: `starter fulfill` only closes backorders, so ship it as usual or `starter cancel` it (nothing was changed)"},
		{"SO-C", contract.OrderFulfilled, "order SO-C is Cancelled, so it cannot be Fulfilled: if its status is wrong, correct it in the order data and import it again (nothing was changed)"},
		{"SO-F", contract.OrderCancelled, "order SO-F is Fulfilled, so it cannot be Cancelled: if its status is wrong, correct it in the order data and import it again (nothing was changed)"},
	} {
		t.Run(tc.order+" to "+string(tc.to), func(t *testing.T) {
			before := operationstest.ReadOrder(t, s, tc.order)
			_, err := svc.CloseOrder(context.Background(), operations.CloseOrder{OrderID: tc.order, To: tc.to, Note: "again", By: "alice"})
			var refused *operations.RefusedError
			require.ErrorAs(t, err, &refused)
			assert.Equal(t, tc.want, refused.Reason)
			assert.Empty(t, refused.Field, "about the whole request")
			assert.Equal(t, before, operationstest.ReadOrder(t, s, tc.order), "the row is untouched")
		})
	}

	_, err := svc.CloseOrder(context.Background(), operations.CloseOrder{OrderID: "SO-404", To: contract.OrderFulfilled})
	var notFound *operations.NotFoundError
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, operations.NotFoundError{What: "order", ID: "SO-404", Hint: "check the id with `starter backorders` or the import file"}, *notFound)
	assert.Equal(t, "order SO-404 does not exist: check the id with `starter backorders` or the import file", err.Error())

	for _, in := range []operations.CloseOrder{
		{OrderID: "SO-P", To: contract.OrderBackordered},
		{OrderID: "", To: contract.OrderCancelled},
	} {
		_, err := notContacted(t).CloseOrder(context.Background(), in)
		var invalid *operations.InvalidError
		require.ErrorAs(t, err, &invalid, "%+v", in)
	}
}

// Temporal is reached before the row is written: whether the caller dials
// now (the starter) or holds a client whose server has gone (a web app).
func TestClosingAnOrderWithTemporalUnreachableWritesNothing(t *testing.T) {
	s, _ := operationstest.OrdersDB(t, map[string]string{"SO-B": "Backordered", "SO-P": "Pending"})
	gone, err := client.NewLazyClient(client.Options{HostPort: deadTemporal})
	require.NoError(t, err)
	t.Cleanup(gone.Close)
	for name, svc := range map[string]*operations.Service{
		"dialled now": {Store: s, Config: settings("UTC"), DialTemporal: unreachable},
		"held client": {Store: s, Config: settings("UTC"), Temporal: gone},
	} {
		for _, in := range []operations.CloseOrder{
			{OrderID: "SO-B", To: contract.OrderFulfilled, Note: "shipped"},
			{OrderID: "SO-B", To: contract.OrderCancelled, Note: "customer asked"},
			{OrderID: "SO-P", To: contract.OrderCancelled},
		} {
			t.Run(name+" "+in.OrderID+" "+string(in.To), func(t *testing.T) {
				before := operationstest.ReadOrder(t, s, in.OrderID)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_, err := svc.CloseOrder(ctx, in)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "order "+in.OrderID+" was not marked "+string(in.To)+" (nothing was changed)")
				var refused *operations.RefusedError
				assert.False(t, errors.As(err, &refused), "a runtime failure, not a refusal")
				assert.Equal(t, before, operationstest.ReadOrder(t, s, in.OrderID), "the row is untouched")
			})
		}
	}
}

func TestCompletingATaskWithTemporalUnreachableRecordsItForTheSweep(t *testing.T) {
	s, _ := operationstest.OrdersDB(t, map[string]string{"SO-B": "Backordered"})
	procurement := operationstest.NewTask(t, s, "SO-B", "procurement_manager")
	clerk := operationstest.NewTask(t, s, "SO-B", "inventory_clerk")
	svc := &operations.Service{Store: s, Config: settings("UTC"), DialTemporal: unreachable}
	ctx := context.Background()
	eta := operationstest.DateIn(t, "UTC", 5)

	done, err := svc.CompleteTask(ctx, operations.CompleteTask{TaskID: procurement, By: "alice", Note: "supplier confirmed", ConfirmedETA: eta})
	require.NoError(t, err)
	assert.Equal(t, "Temporal at 127.0.0.1:1 could not be reached, so the next sweep will tell order SO-B's workflow", done.Deferred)
	assert.Equal(t, procurement, done.TaskID)
	assert.Equal(t, "SO-B", done.OrderID)
	assert.Equal(t, "alice", done.CompletedBy)
	assert.Equal(t, eta, done.ConfirmedETA)
	assert.False(t, done.ETAChanged)

	got := operationstest.ReadTask(t, s, procurement)
	assert.Equal(t, "done", got.Status)
	assert.Equal(t, "alice", *got.CompletedBy)
	assert.Equal(t, "supplier confirmed", *got.Note)
	require.NotNil(t, got.ConfirmedETA)
	assert.Equal(t, eta, got.ConfirmedETA.Format(backorder.DateLayout))
	assert.False(t, got.Acknowledged, "the workflow has not been told: the next sweep tells it")

	// Completing it again is refused, and leaves the first completion as it was.
	_, err = svc.CompleteTask(ctx, operations.CompleteTask{TaskID: procurement, By: "bob"})
	var refused *operations.RefusedError
	require.ErrorAs(t, err, &refused)
	assert.Contains(t, refused.Reason, "task "+procurement+" is already done by alice at ")
	assert.Contains(t, refused.Reason, "nothing was changed")
	assert.Equal(t, got, operationstest.ReadTask(t, s, procurement))

	// A task closed with its backorder cannot be completed.
	_, err = s.Pool().Exec(ctx, `UPDATE tasks SET status = 'obsolete', completed_at = now() WHERE id = $1`, clerk)
	require.NoError(t, err)
	closed := operationstest.ReadTask(t, s, clerk)
	_, err = svc.CompleteTask(ctx, operations.CompleteTask{TaskID: clerk, By: "bob"})
	require.ErrorAs(t, err, &refused)
	assert.Equal(t, "task "+clerk+" was closed when order SO-B's backorder ended; nothing to complete (nothing was changed)", refused.Reason)
	assert.Equal(t, closed, operationstest.ReadTask(t, s, clerk))

	_, err = svc.CompleteTask(ctx, operations.CompleteTask{TaskID: "T-404", By: "bob"})
	var notFound *operations.NotFoundError
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, operations.NotFoundError{What: "task", ID: "T-404", Hint: "list tasks with `starter tasks --status open`"}, *notFound)
}

// Dates and required fields are checked before anything is contacted, and
// a date is "after today" in the business timezone (BACKORDER_TIMEZONE).
func TestInputIsCheckedBeforeAnythingIsContacted(t *testing.T) {
	// Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: their
	// dates always differ, so a check done in UTC (or the machine's zone)
	// fails one of these cases whatever the time of day.
	const ahead, behind = "Pacific/Kiritimati", "Pacific/Pago_Pago"
	ctx := context.Background()
	for _, tc := range []struct {
		tz, eta string
	}{
		{ahead, operationstest.DateIn(t, ahead, 0)},
		{ahead, operationstest.DateIn(t, ahead, -1)},
		{behind, operationstest.DateIn(t, behind, 0)},
		{"UTC", "2020-01-01"},
	} {
		t.Run(tc.tz+" "+tc.eta, func(t *testing.T) {
			svc := notContacted(t)
			svc.Config = settings(tc.tz)
			want := tc.eta + " is not after today (" + operationstest.DateIn(t, tc.tz, 0) + ", " + tc.tz +
				"): give the date the goods are now expected, tomorrow or later"

			_, err := svc.CompleteTask(ctx, operations.CompleteTask{TaskID: "T-1", By: "alice", ConfirmedETA: tc.eta})
			var refused *operations.RefusedError
			require.ErrorAs(t, err, &refused)
			assert.Equal(t, operations.RefusedError{Field: "confirmed_eta", Reason: want}, *refused)

			_, err = svc.ReviseETA(ctx, operations.ReviseETA{OrderID: "SO-1", By: "alice", ETA: tc.eta})
			require.ErrorAs(t, err, &refused)
			assert.Equal(t, operations.RefusedError{Field: "eta", Reason: want}, *refused)
		})
	}

	for _, tc := range []struct {
		run   func(*operations.Service) error
		field string
	}{
		{func(s *operations.Service) error {
			_, err := s.CompleteTask(ctx, operations.CompleteTask{TaskID: "T-1", By: "alice", ConfirmedETA: "soon"})
			return err
		}, "confirmed_eta"},
		{func(s *operations.Service) error {
			_, err := s.ReviseETA(ctx, operations.ReviseETA{OrderID: "SO-1", By: "alice", ETA: "2026-13-01"})
			return err
		}, "eta"},
		{func(s *operations.Service) error {
			_, err := s.CompleteTask(ctx, operations.CompleteTask{By: "alice"})
			return err
		}, "task_id"},
		{func(s *operations.Service) error {
			_, err := s.CompleteTask(ctx, operations.CompleteTask{TaskID: "T-1"})
			return err
		}, "by"},
		{func(s *operations.Service) error {
			_, err := s.ReviseETA(ctx, operations.ReviseETA{OrderID: "SO-1", ETA: operationstest.DateIn(t, "UTC", 3)})
			return err
		}, "by"},
		{func(s *operations.Service) error {
			_, err := s.Status(ctx, "")
			return err
		}, "order_id"},
	} {
		t.Run("invalid "+tc.field, func(t *testing.T) {
			var invalid *operations.InvalidError
			require.ErrorAs(t, tc.run(notContacted(t)), &invalid)
			assert.Equal(t, tc.field, invalid.Field)
		})
	}
}
