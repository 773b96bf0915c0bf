package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/importer"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// importSummary answers an orders import: the rows inserted or updated.
type importSummary struct {
	Suppliers int `json:"suppliers"`
	Products  int `json:"products"`
	Customers int `json:"customers"`
	Orders    int `json:"orders"`
	Lines     int `json:"lines"`
}

// upsertOrders creates or updates orders with their lines: the body is
// the import format, checked the way `starter import` checks a file (every
// problem at once, by JSON path) and written in one transaction, or not at
// all.
func (a *api) upsertOrders(r *http.Request, _ store.APIToken) (int, any, error) {
	ctx := r.Context()
	data, problems, err := importer.Check(r.Body)
	if err != nil {
		return 0, nil, err
	}
	unresolved, err := a.db.UnresolvedReferences(ctx, data)
	if err != nil {
		return 0, nil, err
	}
	if problems = append(problems, unresolved...); len(problems) > 0 {
		return 0, nil, &store.ValidationError{Problems: problems}
	}
	if err := a.closingsRefused(r, data); err != nil {
		return 0, nil, err
	}
	sum, err := a.db.Import(ctx, data)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, importSummary{Suppliers: sum.Suppliers, Products: sum.Products, Customers: sum.Customers,
		Orders: sum.Orders, Lines: sum.Lines}, nil
}

// closingsRefused refuses an import that would mark a stored order
// Fulfilled or Cancelled: written by the import, its workflow would only
// hear of it at the next sweep, and the status guards would be bypassed.
// That change goes through POST /orders/{order_id}/status instead.
func (a *api) closingsRefused(r *http.Request, data store.Dataset) error {
	ids := make([]string, len(data.Orders))
	for i, o := range data.Orders {
		ids[i] = o.ID
	}
	stored, err := a.db.OrderStatuses(r.Context(), ids)
	if err != nil {
		return err
	}
	var refused []Problem
	for i, o := range data.Orders {
		current, ok := stored[o.ID]
		if !ok || current == o.Status || (o.Status != contract.OrderFulfilled && o.Status != contract.OrderCancelled) {
			continue
		}
		refused = append(refused, Problem{Field: fmt.Sprintf("orders[%d].status", i), Message: fmt.Sprintf(
			"order %s is %s: mark it %s with POST %s/orders/%s/status, which tells its backorder workflow at once",
			o.ID, current, o.Status, Prefix, o.ID)})
	}
	if len(refused) == 0 {
		return nil
	}
	e := &Error{Status: http.StatusConflict, Code: codeRefused, Problems: refused,
		Message: fmt.Sprintf("%d order(s) would be closed by an import (nothing was written)", len(refused))}
	if len(refused) == 1 {
		e.Field = refused[0].Field
	}
	return e
}

// orderView is an order as stored, with its lines.
type orderView struct {
	ID           string               `json:"id"`
	Status       contract.OrderStatus `json:"status"`
	PromisedDate string               `json:"promised_date"`
	Currency     string               `json:"currency"`
	Lines        []orderLineView      `json:"lines"`
}

type orderLineView struct {
	SKU                 string `json:"sku"`
	ProductName         string `json:"product_name"`
	Quantity            int64  `json:"quantity"`
	BackorderedQuantity int64  `json:"backordered_quantity"`
	UnitPrice           string `json:"unit_price"`
	SupplierID          string `json:"supplier_id"`
}

func (a *api) getOrder(r *http.Request, _ store.APIToken) (int, any, error) {
	id := r.PathValue("order_id")
	o, err := a.db.Order(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, &Error{Status: http.StatusNotFound, Code: codeNotFound,
			Message: fmt.Sprintf("order %s does not exist: create it with POST %s/orders", id, Prefix)}
	}
	if err != nil {
		return 0, nil, err
	}
	v := orderView{ID: o.ID, Status: o.Status, PromisedDate: o.PromisedDate.Format(backorder.DateLayout),
		Currency: o.Currency, Lines: make([]orderLineView, len(o.Lines))}
	for i, l := range o.Lines {
		v.Lines[i] = orderLineView{SKU: l.SKU, ProductName: l.ProductName, Quantity: l.Quantity,
			BackorderedQuantity: l.BackorderedQuantity, UnitPrice: backorder.FormatMoney(l.UnitPrice), SupplierID: l.SupplierID}
	}
	return http.StatusOK, v, nil
}

// statusChange is the body of POST /orders/{order_id}/status.
type statusChange struct {
	Status contract.OrderStatus `json:"status"`
	// Note: how it was fulfilled, or why it was cancelled.
	Note string `json:"note"`
}

// orderClosed answers a status change.
type orderClosed struct {
	OrderID string               `json:"order_id"`
	Status  contract.OrderStatus `json:"status"`
	// WorkflowTold: the order's backorder workflow was signalled and is
	// closing; false when it had none running.
	WorkflowTold bool `json:"workflow_told"`
}

// changeOrderStatus marks an order Fulfilled or Cancelled through the same
// operation as `starter fulfill` and `starter cancel`: the same status
// guards, and the workflow told at once.
func (a *api) changeOrderStatus(r *http.Request, caller store.APIToken) (int, any, error) {
	var in statusChange
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	if in.Status != contract.OrderFulfilled && in.Status != contract.OrderCancelled {
		return 0, nil, &Error{Status: http.StatusBadRequest, Code: codeInvalid, Field: "status",
			Message: fmt.Sprintf("status %q: an order is closed as %s or %s (other changes go through POST %s/orders)",
				in.Status, contract.OrderFulfilled, contract.OrderCancelled, Prefix)}
	}
	done, err := a.ops.CloseOrder(r.Context(), operations.CloseOrder{
		OrderID: r.PathValue("order_id"), To: in.Status, Note: in.Note, By: caller.Name,
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, orderClosed{OrderID: done.OrderID, Status: done.Status, WorkflowTold: done.WorkflowTold}, nil
}
