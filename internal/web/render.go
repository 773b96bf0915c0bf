package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/store"
)

//go:embed templates
var templateFiles embed.FS

// pages are the page templates by name, each parsed with the layout.
type pages map[string]*template.Template

// pageNames are the templates/NAME.html files that are pages.
var pageNames = []string{"signin", "tasks", "task", "backorders", "order", "confirm", "report", "message"}

func parsePages() (pages, error) {
	p := pages{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		p[name] = t
	}
	return p, nil
}

// view is what the layout gets: the page's own data is Page.
type view struct {
	Title string
	// Section is the first segment of the path, for the menu.
	Section string
	// User is nil on the sign-in page.
	User  *store.User
	Flash string
	Page  any
}

// render writes a page. It renders into a buffer first, so a template
// failure is a clean 500 and not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, u *store.User, title string, page any) {
	var buf bytes.Buffer
	section, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if section == "orders" {
		section = "backorders"
	}
	v := view{Title: title, Section: section, User: u, Flash: s.takeFlash(w, r), Page: page}
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "The page could not be shown; the server's log says why.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// messagePage is a page that only says something: an error, a refusal.
type messagePage struct {
	Heading string
	Message string
}

func (s *Server) message(w http.ResponseWriter, r *http.Request, u *store.User, status int, heading, msg string) {
	s.render(w, r, status, "message", u, heading, messagePage{Heading: heading, Message: msg})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, u store.User, msg string) {
	s.message(w, r, &u, http.StatusNotFound, "Not found", msg)
}

// forbidden is the page for an action the user's role may not take.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, u store.User, what string) {
	s.message(w, r, &u, http.StatusForbidden, "Not allowed",
		fmt.Sprintf("Your role (%s) may not %s. Ask an admin if you need to.", roleName(u.Role), what))
}

// serverError logs err and shows a page that does not repeat it (it may
// name database hosts).
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, u *store.User, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.message(w, r, u, http.StatusInternalServerError, "Something went wrong",
		"The server could not do this just now; nothing was changed by this page. Try again in a moment; if it keeps failing, the server's log says why.")
}

// crossOriginRefused answers a form post that came from another site.
func (s *Server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	s.message(w, r, nil, http.StatusForbidden, "Refused",
		"This form was sent from another site, so it was refused and nothing was changed. Open the page on this site and send it from there.")
}

var templateFuncs = template.FuncMap{
	"money":    money,
	"date":     date,
	"role":     roleName,
	"daysText": daysText,
	"plural":   plural,
	// seg makes an id one path segment of a link.
	"seg": url.PathEscape,
}

// money is an exact amount with its currency: "1,234.50 USD" would need
// locale rules; "1234.50 USD" is what the CLI and the report print too.
func money(d decimal.Decimal, currency string) string {
	if currency == "" {
		return "–"
	}
	return backorder.FormatMoney(d) + " " + currency
}

// date is a calendar date, YYYY-MM-DD; "–" for none.
func date(t any) string {
	switch d := t.(type) {
	case time.Time:
		if !d.IsZero() {
			return d.Format(backorder.DateLayout)
		}
	case *time.Time:
		if d != nil && !d.IsZero() {
			return d.Format(backorder.DateLayout)
		}
	}
	return "–"
}

// roleName is a role for people to read: "procurement manager".
func roleName(role any) string {
	return strings.ReplaceAll(fmt.Sprint(role), "_", " ")
}

func daysText(n int) string { return plural(n, "day") }

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ageText is how long ago t was, to the unit that matters: "5 min",
// "3 h", "2 days".
func ageText(since time.Duration) string {
	switch {
	case since < time.Minute:
		return "just now"
	case since < time.Hour:
		return fmt.Sprintf("%d min", int(since.Minutes()))
	case since < 48*time.Hour:
		return fmt.Sprintf("%d h", int(since.Hours()))
	}
	return plural(int(since.Hours()/24), "day")
}

// instant is a moment in the business timezone.
func (s *Server) instant(t time.Time) string {
	return t.In(s.cfg.Location).Format("2006-01-02 15:04 MST")
}

// today is the business date now.
func (s *Server) today() time.Time { return backorder.DateOf(time.Now(), s.cfg.Location) }
