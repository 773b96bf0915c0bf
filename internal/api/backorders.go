package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

type backorderList struct {
	Backorders []operations.BackorderView `json:"backorders"`
}

// defaultBackorderLimit is how many open backorders a list holds when the
// request sets no limit: `starter backorders`' default.
const defaultBackorderLimit = 50

// listBackorders lists the open backorders, oldest first, with the filters
// of `starter backorders`: stage, order, min_value and limit.
func (a *api) listBackorders(r *http.Request, _ store.APIToken) (int, any, error) {
	q := r.URL.Query()
	f := store.BackorderFilter{Stage: contract.Stage(q.Get("stage")), OrderID: q.Get("order"), Limit: defaultBackorderLimit}
	if s := q.Get("min_value"); s != "" {
		v, err := backorder.ParseMoney(s)
		if err != nil {
			return 0, nil, &Error{Status: http.StatusBadRequest, Code: codeInvalid, Field: "min_value", Message: "min_value " + err.Error()}
		}
		f.MinValue = &v
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, nil, &Error{Status: http.StatusBadRequest, Code: codeInvalid, Field: "limit",
				Message: fmt.Sprintf("limit %q is not a whole number: use 1 or more, or 0 for all", s)}
		}
		f.Limit = n
	}
	list, err := a.ops.Backorders(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	now := time.Now()
	out := backorderList{Backorders: make([]operations.BackorderView, len(list))}
	for i, b := range list {
		out.Backorders[i] = operations.ViewOf(b, now)
	}
	return http.StatusOK, out, nil
}

// getBackorder is the order's backorder workflow's status query: the same
// JSON as `starter status --json`.
func (a *api) getBackorder(r *http.Request, _ store.APIToken) (int, any, error) {
	state, err := a.ops.Status(r.Context(), r.PathValue("order_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, state, nil
}
