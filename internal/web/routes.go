package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/acme/backorders/internal/store"
)

//go:embed static
var staticFiles embed.FS

// userHandler serves a signed-in user.
type userHandler func(w http.ResponseWriter, r *http.Request, u store.User)

// routes are every page. Only the sign-in pages, the static files and
// /healthz are served without a session; every other route goes through
// s.signedIn, which sends a visitor to sign in.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("POST /sign-in", s.signIn)
	mux.HandleFunc("POST /sign-out", s.signOut)
	mux.HandleFunc("GET /auth/oidc/login", s.oidcLogin)
	mux.HandleFunc("GET /auth/oidc/callback", s.oidcCallback)

	mux.Handle("GET /tasks", s.signedIn(s.tasks))
	mux.Handle("GET /tasks/{id}", s.signedIn(s.task))
	mux.Handle("POST /tasks/{id}/complete", s.signedIn(s.completeTask))

	mux.Handle("GET /backorders", s.signedIn(s.backorders))
	mux.Handle("GET /orders/{id}", s.signedIn(s.order))
	mux.Handle("POST /orders/{id}/eta", s.signedIn(s.reviseETA))
	mux.Handle("GET /orders/{id}/{action}", s.signedIn(s.confirmClose))
	mux.Handle("POST /orders/{id}/{action}", s.signedIn(s.closeOrder))

	mux.Handle("GET /report", s.signedIn(s.report))
	mux.Handle("GET /report/latest.html", s.signedIn(s.reportDocument))
	mux.Handle("GET /report/latest.png", s.signedIn(s.reportChart))
	mux.Handle("GET /report/latest.csv", s.signedIn(s.reportCSV))

	mux.Handle("/", s.signedIn(func(w http.ResponseWriter, r *http.Request, u store.User) {
		s.notFound(w, r, u, "There is no page at this address.")
	}))
	return mux
}
