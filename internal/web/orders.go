package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// "Backorders" and an order: the open episodes, one order with its
// timeline, and the actions on it (revise the ETA, mark it fulfilled,
// cancel it) with their confirmation step.

// backordersLimit bounds the list; the filters find the rest.
const backordersLimit = 500

// statusTimeout bounds the order page's status query: without a worker
// the query would wait, and the page shows what PostgreSQL knows instead.
const statusTimeout = 3 * time.Second

type backordersPage struct {
	Rows []store.BackorderSummary
	// Stage and MinValue are the filters as typed; Stages the choices.
	Stage      string
	MinValue   string
	Stages     []contract.Stage
	FieldError map[string]string
	Truncated  bool
	Limit      int
}

func (s *Server) backorders(w http.ResponseWriter, r *http.Request, u store.User) {
	q := r.URL.Query()
	page := backordersPage{
		Stage: q.Get("stage"), MinValue: strings.TrimSpace(q.Get("min_value")), Limit: backordersLimit,
		// An open episode is in one of these two stages in PostgreSQL.
		Stages:     []contract.Stage{contract.StageAwaitingFulfillment, contract.StageEscalated},
		FieldError: map[string]string{},
	}
	f := store.BackorderFilter{Stage: contract.Stage(page.Stage), Limit: backordersLimit + 1}
	if page.MinValue != "" {
		v, err := decimal.NewFromString(page.MinValue)
		if err != nil {
			page.FieldError["min_value"] = fmt.Sprintf("%q is not an amount: write one such as 1000 or 1000.50.", page.MinValue)
			s.render(w, r, http.StatusUnprocessableEntity, "backorders", &u, "Backorders", page)
			return
		}
		f.MinValue = &v
	}
	list, err := s.ops.Backorders(r.Context(), f)
	if err != nil {
		status, field, msg := s.actionError(r, u, err)
		page.FieldError[field] = msg
		s.render(w, r, status, "backorders", &u, "Backorders", page)
		return
	}
	if len(list) > backordersLimit {
		list, page.Truncated = list[:backordersLimit], true
	}
	page.Rows = list
	s.render(w, r, http.StatusOK, "backorders", &u, "Backorders", page)
}

// event is one line of an order's timeline.
type event struct {
	At   time.Time
	When string
	What string
	Who  string
	Why  string
}

// etaForm is the ETA revision form as sent, with what was wrong.
type etaForm struct {
	ETA         string
	Note        string
	FieldErrors map[string]string
	Error       string
}

type orderPage struct {
	Order store.OrderDetail
	Lines []lineRow
	// State is what the order's workflow answered; nil when it did not
	// (none, or no worker), and Current holds what PostgreSQL knows.
	State     *contract.BackorderState
	StateNote string
	Current   *store.IncidentRecord
	Timeline  []event
	// The actions the user's role may take on this order now.
	CanReviseETA, CanFulfill, CanCancel bool
	Tomorrow                            string
	ETAForm                             etaForm
}

func (s *Server) order(w http.ResponseWriter, r *http.Request, u store.User) {
	s.showOrder(w, r, u, http.StatusOK, etaForm{})
}

func (s *Server) showOrder(w http.ResponseWriter, r *http.Request, u store.User, status int, form etaForm) {
	ctx := r.Context()
	id := r.PathValue("id")
	order, err := s.db.Order(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, u, fmt.Sprintf("There is no order %s.", id))
		return
	}
	if err != nil {
		s.serverError(w, r, &u, err)
		return
	}
	history, err := s.db.OrderHistory(ctx, id)
	if err != nil {
		s.serverError(w, r, &u, err)
		return
	}
	page := orderPage{
		Order: order, ETAForm: form, Timeline: s.timeline(history),
		Tomorrow: s.today().AddDate(0, 0, 1).Format(backorder.DateLayout),
	}
	page.Lines = s.lineRows(order)
	if len(history.Incidents) > 0 {
		page.Current = &history.Incidents[0]
	}
	qctx, cancel := context.WithTimeout(ctx, statusTimeout)
	state, err := s.ops.Status(qctx, id)
	cancel()
	var notFound *operations.NotFoundError
	switch {
	case err == nil:
		page.State = &state
	case errors.As(err, &notFound):
		page.StateNote = "This order has no backorder workflow: a sweep starts one once it is overdue."
	default:
		s.log.Warn("status query failed", "order", id, "err", err)
		page.StateNote = "The order's workflow did not answer just now (is a worker running?): the figures below are the last ones recorded."
	}
	open := page.Current != nil && page.Current.Status == "open"
	page.CanReviseETA = canReviseETA(u) && open
	page.CanFulfill = canCloseOrders(u) && order.Status == contract.OrderBackordered
	page.CanCancel = canCloseOrders(u) && (order.Status == contract.OrderBackordered || order.Status == contract.OrderPending)
	s.render(w, r, status, "order", &u, "Order "+order.ID, page)
}

// timeline puts what happened to the order in time order: its incidents'
// events, its tasks, and the messages sent.
func (s *Server) timeline(h store.OrderHistory) []event {
	var events []event
	add := func(at time.Time, what, who, why string) {
		events = append(events, event{At: at, When: s.instant(at), What: what, Who: who, Why: why})
	}
	for _, in := range h.Incidents {
		// The incident row holds its figures as they are now, not as they
		// were when it opened: the revisions below say how they moved.
		add(in.OpenedAt, fmt.Sprintf("Backorder incident %s opened", in.ID), "", "")
		for _, e := range in.History {
			at, err := time.Parse(time.RFC3339, e.At)
			if err != nil {
				continue // an entry without a time cannot be placed
			}
			switch e.Event {
			case "eta_revised":
				who := e.RevisedBy
				if who == "" {
					who = "the process"
				}
				add(at, fmt.Sprintf("ETA revised to %s (revision %d)", e.ETA, e.ETAVersion), who, joinNonEmpty(e.Reason, e.Note))
			case "escalated":
				add(at, "Escalated", "", e.Reason)
			default:
				add(at, sentence(strings.ReplaceAll(e.Event, "_", " ")), "", e.Reason)
			}
		}
		if in.ResolvedAt != nil {
			add(*in.ResolvedAt, fmt.Sprintf("Backorder incident %s %s", in.ID, in.Status), in.ClosedBy, in.CloseNote)
		}
	}
	for _, t := range h.Tasks {
		add(t.CreatedAt, fmt.Sprintf("Task %s for the %s opened: %s", t.ID, roleName(t.Role), t.Title), "", "")
		if t.CompletedAt == nil {
			continue
		}
		switch t.Status {
		case contract.TaskDone:
			why := deref(t.Note)
			if t.ConfirmedETA != nil {
				why = joinNonEmpty("confirmed ETA "+date(t.ConfirmedETA), why)
			}
			add(*t.CompletedAt, fmt.Sprintf("Task %s done", t.ID), deref(t.CompletedBy), why)
		case contract.TaskObsolete:
			add(*t.CompletedAt, fmt.Sprintf("Task %s closed unfinished when the backorder ended", t.ID), "", "")
		}
	}
	for _, m := range h.Messages {
		at := m.CreatedAt
		if m.SentAt != nil {
			at = *m.SentAt
		}
		add(at, messageText(m), "", "")
	}
	// Oldest first; entries at the same instant keep the order above.
	slices.SortStableFunc(events, func(a, b event) int { return a.At.Compare(b.At) })
	return events
}

// messageText describes a message without its recipient's address.
func messageText(m store.SentMessage) string {
	switch m.Channel {
	case "email":
		return fmt.Sprintf("Email to the customer %q: %s", m.Subject, m.Status)
	case "sms":
		return "Text message to the warehouse manager: " + m.Status
	}
	return fmt.Sprintf("%s message: %s", m.Channel, m.Status)
}

func (s *Server) reviseETA(w http.ResponseWriter, r *http.Request, u store.User) {
	id := r.PathValue("id")
	if !canReviseETA(u) {
		s.forbidden(w, r, u, "revise an order's ETA")
		return
	}
	form := etaForm{ETA: strings.TrimSpace(r.PostFormValue("eta")), Note: strings.TrimSpace(r.PostFormValue("note")), FieldErrors: map[string]string{}}
	if problem := noteProblem("note", form.Note); problem != "" {
		form.FieldErrors["note"] = problem
		s.showOrder(w, r, u, http.StatusUnprocessableEntity, form)
		return
	}
	if form.ETA == "" {
		form.FieldErrors["eta"] = "Give the new ETA, a date after today."
		s.showOrder(w, r, u, http.StatusUnprocessableEntity, form)
		return
	}
	state, err := s.ops.ReviseETA(r.Context(), operations.ReviseETA{OrderID: id, By: u.Username, Note: form.Note, ETA: form.ETA})
	if err != nil {
		status, field, msg := s.actionError(r, u, err)
		if field == "" {
			form.Error = msg
		} else {
			form.FieldErrors[field] = msg
		}
		s.showOrder(w, r, u, status, form)
		return
	}
	s.flash(w, r, fmt.Sprintf("Order %s's ETA is now %s (revision %d).", id, state.NewETA, state.ETAVersion))
	http.Redirect(w, r, "/orders/"+url.PathEscape(id), http.StatusSeeOther)
}

// closeAction is one way of closing an order from the web app.
type closeAction struct {
	To contract.OrderStatus
	// Question and Confirm are the confirmation step's heading and button,
	// NoteLabel its text field; Done the message after; Verb what a role
	// that may not is told it may not do.
	Question, Confirm, NoteLabel, Done, Verb string
}

var closeActions = map[string]closeAction{
	"fulfill": {To: contract.OrderFulfilled, Question: "Mark order %s fulfilled?",
		Confirm: "Yes, mark fulfilled", NoteLabel: "Note", Done: "Order %s is marked Fulfilled", Verb: "mark orders fulfilled"},
	"cancel": {To: contract.OrderCancelled, Question: "Cancel order %s?",
		Confirm: "Yes, cancel the order", NoteLabel: "Reason", Done: "Order %s is marked Cancelled", Verb: "cancel orders"},
}

type confirmPage struct {
	Order     store.OrderDetail
	Action    string
	Question  string
	Confirm   string
	NoteLabel string
	Note      string
	Error     string
}

// confirmClose is the confirmation step before an order is closed: the
// order page's button leads here, and only this page's form acts.
func (s *Server) confirmClose(w http.ResponseWriter, r *http.Request, u store.User) {
	s.showConfirm(w, r, u, http.StatusOK, "", "")
}

// closeAction is the request's close action, when it names one and the
// user may take it; otherwise it has answered.
func (s *Server) closeAction(w http.ResponseWriter, r *http.Request, u store.User) (closeAction, bool) {
	action, ok := closeActions[r.PathValue("action")]
	switch {
	case !ok:
		s.notFound(w, r, u, "There is no page at this address.")
	case !canCloseOrders(u):
		s.forbidden(w, r, u, action.Verb)
		ok = false
	}
	return action, ok
}

func (s *Server) showConfirm(w http.ResponseWriter, r *http.Request, u store.User, status int, note, problem string) {
	name, id := r.PathValue("action"), r.PathValue("id")
	action, ok := s.closeAction(w, r, u)
	if !ok {
		return
	}
	order, err := s.db.Order(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, u, fmt.Sprintf("There is no order %s.", id))
		return
	}
	if err != nil {
		s.serverError(w, r, &u, err)
		return
	}
	s.render(w, r, status, "confirm", &u, fmt.Sprintf(action.Question, id), confirmPage{
		Order: order, Action: name, Question: fmt.Sprintf(action.Question, id), Confirm: action.Confirm,
		NoteLabel: action.NoteLabel, Note: note, Error: problem,
	})
}

func (s *Server) closeOrder(w http.ResponseWriter, r *http.Request, u store.User) {
	id := r.PathValue("id")
	action, ok := s.closeAction(w, r, u)
	if !ok {
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if problem := noteProblem(strings.ToLower(action.NoteLabel), note); problem != "" {
		s.showConfirm(w, r, u, http.StatusUnprocessableEntity, note, problem)
		return
	}
	done, err := s.ops.CloseOrder(r.Context(), operations.CloseOrder{OrderID: id, To: action.To, Note: note, By: u.Username})
	if err != nil {
		status, _, msg := s.actionError(r, u, err)
		s.showConfirm(w, r, u, status, note, msg)
		return
	}
	msg := fmt.Sprintf(action.Done, id)
	if done.WorkflowTold {
		msg += "; its backorder workflow is closing the incident, tasks and alerts."
	} else {
		msg += "; it had no running backorder workflow (the next sweep closes any open backorder episode)."
	}
	s.log.Info("order closed", "user", u.Username, "order", id, "status", action.To)
	s.flash(w, r, msg)
	http.Redirect(w, r, "/orders/"+url.PathEscape(id), http.StatusSeeOther)
}

func joinNonEmpty(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "; ")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
