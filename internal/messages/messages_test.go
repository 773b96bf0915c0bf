package messages

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomerDelayNoticeListsLinesAndETA(t *testing.T) {
	subject, body, err := Customer(CustomerNotice{
		CustomerName: "Jane Doe", OrderID: "SO-1001", ETA: "2026-12-11",
		Lines: []Line{{"SKU-1", "Widget", 2}, {"SKU-2", "Gadget", 5}},
	})
	require.NoError(t, err)
	assert.Equal(t, "Your order SO-1001 is delayed: new estimated delivery 2026-12-11", subject)
	assert.Equal(t, `Dear Jane Doe,

Some items of your order SO-1001 are out of stock and will arrive later than promised.

Items on backorder:
  - SKU-1  Widget  x 2
  - SKU-2  Gadget  x 5

New estimated delivery date: 2026-12-11

We are sorry for the delay. Reply to this email if you would like to cancel
the backordered items or have any questions.
`, body)
}

func TestCustomerRevisedNoticeSaysWhatChanged(t *testing.T) {
	subject, body, err := Customer(CustomerNotice{
		CustomerName: "Jane Doe", OrderID: "SO-1001", ETA: "2026-12-20", PreviousETA: "2026-12-11",
		Reason: "supplier confirmed a new date", Lines: []Line{{"SKU-1", "Widget", 2}},
	})
	require.NoError(t, err)
	assert.Contains(t, subject, "moved to 2026-12-20")
	assert.Contains(t, body, "has changed from 2026-12-11 to 2026-12-20 (supplier confirmed a new date).")
}

func TestWarehouseAlertFitsOneSMSSegment(t *testing.T) {
	sms := WarehouseAlert("SO-0001234", "123456.78", "USD", "2026-12-11")
	assert.Equal(t, "Backorder SO-0001234: 123456.78 USD at risk, new ETA 2026-12-11.", sms)
	assert.LessOrEqual(t, len(sms), 160)
}
