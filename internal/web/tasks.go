package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// "My tasks" and one task: the inbox of a role, and the page where a task
// is completed through the complete-task Update.

// inboxLimit bounds the inbox; a filter finds the rest.
const inboxLimit = 200

// maxNote bounds a note: it travels in the workflow's history.
const maxNote = 2000

type inboxRow struct {
	store.InboxTask
	Age string
}

type tasksPage struct {
	Rows []inboxRow
	// OrderFilter is the order id filter as typed.
	OrderFilter string
	// Roles are the roles whose tasks are listed; empty: the user's role
	// has no tasks.
	Roles     []contract.Role
	Truncated bool
	Limit     int
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request, u store.User) {
	page := tasksPage{OrderFilter: strings.TrimSpace(r.URL.Query().Get("order")), Roles: taskRoles(u), Limit: inboxLimit}
	if len(page.Roles) > 0 {
		list, err := s.db.OpenTasks(r.Context(), store.InboxFilter{Roles: page.Roles, OrderID: page.OrderFilter, Limit: inboxLimit + 1})
		if err != nil {
			s.serverError(w, r, &u, err)
			return
		}
		if len(list) > inboxLimit {
			list, page.Truncated = list[:inboxLimit], true
		}
		for _, t := range list {
			page.Rows = append(page.Rows, inboxRow{InboxTask: t, Age: ageText(time.Since(t.CreatedAt))})
		}
	}
	s.render(w, r, http.StatusOK, "tasks", &u, "My tasks", page)
}

// lineRow is an order line with the lead time that applies to it.
type lineRow struct {
	store.LineDetail
	LeadTimeDays int
	// LeadTimeSource says where the lead time comes from: product,
	// supplier or default.
	LeadTimeSource string
}

// lineRows are the order's lines with their lead times, as step 6 of the
// process looks them up.
func (s *Server) lineRows(order store.OrderDetail) []lineRow {
	rows := make([]lineRow, len(order.Lines))
	for i, l := range order.Lines {
		days, source := backorder.LeadTime(l.ProductLeadTimeDays, l.SupplierLeadTimeDays, s.cfg.DefaultLeadTimeDays)
		rows[i] = lineRow{LineDetail: l, LeadTimeDays: days, LeadTimeSource: source}
	}
	return rows
}

// noteProblem says what is wrong with a note (or reason), "" when nothing.
func noteProblem(what, note string) string {
	if n := utf8.RuneCountInString(note); n > maxNote {
		return fmt.Sprintf("The %s has %d characters: keep it to %d.", what, n, maxNote)
	}
	return ""
}

// completeForm is the completion form as sent, with what was wrong.
type completeForm struct {
	ConfirmedETA string
	Note         string
	// FieldErrors are keyed by field name (confirmed_eta, note); Error is
	// about the whole request.
	FieldErrors map[string]string
	Error       string
}

type taskPage struct {
	Task     store.Task
	Order    store.OrderDetail
	Lines    []lineRow
	Incident *store.IncidentRecord
	Messages []store.SentMessage
	Created  string
	Closed   string
	// CanComplete: the task is open and the user's role works it; AsksETA:
	// it is procurement's, so the form asks for the confirmed ETA.
	CanComplete bool
	AsksETA     bool
	// Tomorrow is the earliest date the ETA field's picker offers.
	Tomorrow string
	Form     completeForm
}

// pathTask loads the task named in the path; when there is none, or it
// cannot be read, it has answered the request and says false.
func (s *Server) pathTask(w http.ResponseWriter, r *http.Request, u store.User) (store.Task, bool) {
	id := r.PathValue("id")
	t, err := s.db.Task(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, u, fmt.Sprintf("There is no task %s.", id))
		return t, false
	}
	if err != nil {
		s.serverError(w, r, &u, err)
		return t, false
	}
	return t, true
}

func (s *Server) task(w http.ResponseWriter, r *http.Request, u store.User) {
	s.showTask(w, r, u, http.StatusOK, completeForm{})
}

// showTask renders the task page, with form as sent when it was refused.
func (s *Server) showTask(w http.ResponseWriter, r *http.Request, u store.User, status int, form completeForm) {
	ctx := r.Context()
	t, ok := s.pathTask(w, r, u)
	if !ok {
		return
	}
	order, err := s.db.Order(ctx, t.OrderID)
	if err != nil {
		s.serverError(w, r, &u, err)
		return
	}
	history, err := s.db.OrderHistory(ctx, t.OrderID)
	if err != nil {
		s.serverError(w, r, &u, err)
		return
	}
	page := taskPage{
		Task: t, Order: order, Created: s.instant(t.CreatedAt),
		CanComplete: t.Status == contract.TaskOpen && canWork(u, t.Role),
		AsksETA:     t.Role == contract.RoleProcurementManager,
		Tomorrow:    s.today().AddDate(0, 0, 1).Format(backorder.DateLayout),
		Form:        form,
	}
	if t.CompletedAt != nil {
		page.Closed = s.instant(*t.CompletedAt)
	}
	page.Lines = s.lineRows(order)
	// The task's episode is the order's open one, else its latest.
	if len(history.Incidents) > 0 {
		page.Incident = &history.Incidents[0]
		for _, m := range history.Messages {
			if m.IncidentID == page.Incident.ID {
				page.Messages = append(page.Messages, m)
			}
		}
	}
	s.render(w, r, status, "task", &u, "Task "+t.ID, page)
}

func (s *Server) completeTask(w http.ResponseWriter, r *http.Request, u store.User) {
	ctx := r.Context()
	t, ok := s.pathTask(w, r, u)
	if !ok {
		return
	}
	if !canWork(u, t.Role) {
		s.forbidden(w, r, u, "complete "+roleName(t.Role)+" tasks")
		return
	}
	form := completeForm{Note: strings.TrimSpace(r.PostFormValue("note")), FieldErrors: map[string]string{}}
	req := operations.CompleteTask{TaskID: t.ID, By: u.Username, Note: form.Note}
	if t.Role == contract.RoleProcurementManager {
		// Only procurement confirms a supplier's date; a clerk's form has no
		// such field, and a forged one is ignored.
		form.ConfirmedETA = strings.TrimSpace(r.PostFormValue("confirmed_eta"))
		req.ConfirmedETA = form.ConfirmedETA
	}
	if problem := noteProblem("note", form.Note); problem != "" {
		form.FieldErrors["note"] = problem
		s.showTask(w, r, u, http.StatusUnprocessableEntity, form)
		return
	}
	done, err := s.ops.CompleteTask(ctx, req)
	if err != nil {
		status, field, msg := s.actionError(r, u, err)
		if field == "" {
			form.Error = msg
		} else {
			form.FieldErrors[field] = msg
		}
		s.showTask(w, r, u, status, form)
		return
	}
	msg := fmt.Sprintf("Task %s is done.", t.ID)
	switch {
	case done.Deferred != "":
		msg = fmt.Sprintf("Task %s is recorded as done: %s.", t.ID, done.Deferred)
	case done.ETAChanged:
		msg += fmt.Sprintf(" Order %s's ETA is now %s (revision %d).", t.OrderID, done.NewETA, done.ETAVersion)
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/orders/"+url.PathEscape(t.OrderID), http.StatusSeeOther)
}

// actionError is how a refused or failed action shows on its form: the
// HTTP status, the form field it is about ("" for the whole form) and the
// message. Refusals and bad input say what the operation said; anything
// else is logged, and the operation's message (written for people: what
// happened, what was changed) is shown.
func (s *Server) actionError(r *http.Request, u store.User, err error) (status int, field, msg string) {
	var (
		invalid  *operations.InvalidError
		refused  *operations.RefusedError
		notFound *operations.NotFoundError
	)
	switch {
	case errors.As(err, &invalid):
		return http.StatusUnprocessableEntity, invalid.Field, sentence(invalid.Reason)
	case errors.As(err, &refused):
		if refused.Field == "" {
			return http.StatusConflict, "", sentence(refused.Reason)
		}
		return http.StatusUnprocessableEntity, refused.Field, sentence(refused.Reason)
	case errors.As(err, &notFound):
		return http.StatusNotFound, "", sentence(notFound.Error())
	}
	s.log.Error("action failed", "user", u.Username, "method", r.Method, "path", r.URL.Path, "err", err)
	return http.StatusInternalServerError, "", sentence(err.Error())
}

// sentence starts msg with a capital letter and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	first, size := utf8.DecodeRuneInString(msg)
	msg = strings.ToUpper(string(first)) + msg[size:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, ")") {
		msg += "."
	}
	return msg
}
