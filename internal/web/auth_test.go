package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// A visitor at / gets the sign-in form, its fields tied to their labels.
func TestSignInPageAtRoot(t *testing.T) {
	f := newFixture(t, options{})
	p := f.visitor().get("/")
	require.Equal(t, http.StatusOK, p.status)
	assert.Contains(t, p.text(), "Sign in")
	user, pass := p.field("Username"), p.field("Password")
	require.NotNil(t, user, "a Username field with <label for>")
	require.NotNil(t, pass, "a Password field with <label for>")
	assert.Equal(t, "username", attr(user, "name"))
	assert.Equal(t, "password", attr(pass, "type"))
	assert.True(t, p.hasButton("Sign in"))
}

func TestSignInAndOut(t *testing.T) {
	f := newFixture(t, options{})
	b := f.signIn("paula", store.UserProcurementManager)

	p := b.get("/")
	assert.Equal(t, http.StatusSeeOther, p.status, "signed in, / leads to the tasks")
	assert.Equal(t, "/tasks", p.location)
	p = b.get("/tasks")
	require.Equal(t, http.StatusOK, p.status)
	assert.Contains(t, p.text(), "Signed in as paula (procurement manager)")

	p = b.follow(b.post("/sign-out", nil))
	assert.Contains(t, p.text(), "You are signed out.")
	assert.NotNil(t, p.field("Username"))
	p = b.get("/tasks")
	assert.Equal(t, http.StatusSeeOther, p.status, "the session ended with sign-out")

	t.Run("wrong password", func(t *testing.T) {
		p := f.visitor().post("/sign-in", url.Values{"username": {"paula"}, "password": {"not the password"}})
		assert.Equal(t, http.StatusUnauthorized, p.status)
		assert.Contains(t, p.text(), "Wrong username or password.")
		assert.Equal(t, "paula", attr(p.field("Username"), "value"), "the username stays filled in")
	})
	t.Run("unknown user reads the same", func(t *testing.T) {
		p := f.visitor().post("/sign-in", url.Values{"username": {"nobody"}, "password": {password}})
		assert.Equal(t, http.StatusUnauthorized, p.status)
		assert.Contains(t, p.text(), "Wrong username or password.")
	})
	t.Run("back to the page asked for, never to another site", func(t *testing.T) {
		v := f.visitor()
		p := v.get("/backorders?stage=escalated")
		require.Equal(t, http.StatusSeeOther, p.status)
		next := p.location[len("/?next="):]
		p = v.follow(p)
		require.NotNil(t, p.field("Username"))
		unescaped, err := url.QueryUnescape(next)
		require.NoError(t, err)
		p = v.post("/sign-in", url.Values{"username": {"paula"}, "password": {password}, "next": {unescaped}})
		assert.Equal(t, "/backorders?stage=escalated", p.location)
		for _, evil := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
			p = f.visitor().post("/sign-in", url.Values{"username": {"paula"}, "password": {password}, "next": {evil}})
			assert.Equal(t, "/tasks", p.location, evil)
		}
	})
}

// Every page and action needs a session: a visitor is sent to sign in
// and sees no data, whatever the route.
func TestEveryPageWithoutASessionGoesToSignIn(t *testing.T) {
	f := newFixture(t, options{})
	order := f.order("small")
	gets := []string{
		"/tasks", "/tasks?order=SO", "/tasks/T-1", "/backorders", "/backorders?min_value=1", "/orders/" + order,
		"/orders/" + order + "/fulfill", "/orders/" + order + "/cancel", "/report", "/report/latest.html",
		"/report/latest.png", "/report/latest.csv", "/no/such/page",
	}
	posts := []string{"/tasks/T-1/complete", "/orders/" + order + "/eta", "/orders/" + order + "/fulfill", "/orders/" + order + "/cancel"}
	stale := f.visitor()
	stale.c.Jar.SetCookies(mustURL(t, f.url), []*http.Cookie{{Name: "backorder_session", Value: "forged-or-expired"}})
	for _, v := range []*browser{f.visitor(), stale} {
		for _, path := range gets {
			p := v.get(path)
			assert.Equal(t, http.StatusSeeOther, p.status, "GET %s", path)
			assert.Equal(t, "/?next="+url.QueryEscape(path), p.location, "GET %s", path)
			for _, data := range []string{"Jane Doe", "Widget", "39.98"} {
				assert.NotContains(t, p.body, data, "GET %s", path)
			}
		}
		for _, path := range posts {
			p := v.post(path, url.Values{"confirmed_eta": {today(9)}, "eta": {today(9)}, "note": {"x"}})
			assert.Equal(t, http.StatusSeeOther, p.status, "POST %s", path)
			assert.Equal(t, "/", p.location, "POST %s", path)
		}
	}
	got, err := f.db.Order(context.Background(), order)
	require.NoError(t, err)
	assert.Equal(t, contract.OrderBackordered, got.Status, "nothing was changed")
}

// A form posted from another site is refused before any handler runs,
// even with the user's session cookie.
func TestCrossSiteFormPostIsRefused(t *testing.T) {
	f := newFixture(t, options{})
	b := f.signIn("wanda", store.UserWarehouseManager)
	order := f.order("pending")
	for name, headers := range map[string][]string{
		"Sec-Fetch-Site cross-site":            {"Sec-Fetch-Site", "cross-site"},
		"Sec-Fetch-Site same-site (subdomain)": {"Sec-Fetch-Site", "same-site"},
		"Origin of another host, no Sec-Fetch": {"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		t.Run(name, func(t *testing.T) {
			p := b.post("/orders/"+order+"/cancel", url.Values{"note": {"forged"}}, headers...)
			assert.Equal(t, http.StatusForbidden, p.status)
			assert.Contains(t, p.text(), "This form was sent from another site, so it was refused and nothing was changed.")
			got, err := f.db.Order(context.Background(), order)
			require.NoError(t, err)
			assert.Equal(t, contract.OrderPending, got.Status)

			p = f.visitor().post("/sign-in", url.Values{"username": {"wanda"}, "password": {password}}, headers...)
			assert.Equal(t, http.StatusForbidden, p.status, "no signing in a victim from another site either")
		})
	}
	t.Run("the same form from this site reaches the action", func(t *testing.T) {
		// Without Temporal the cancellation itself is refused, by the
		// operation and not by the cross-origin check.
		p := b.post("/orders/"+order+"/cancel", url.Values{"note": {"customer asked"}}, "Origin", f.url)
		assert.NotEqual(t, http.StatusForbidden, p.status)
		assert.Contains(t, p.formError(), "was not marked Cancelled (nothing was changed)")
	})
}

// Five wrong passwords in a row for a username, or from an address, and
// sign-in is refused for a while, even with the right password; a right
// password before that starts the count over.
func TestWrongPasswordsSlowSignInDown(t *testing.T) {
	f := newFixture(t, options{})
	f.addUser("rita", store.UserInventoryClerk)
	f.addUser("sam", store.UserInventoryClerk)
	signIn := func(from, user, pass string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/sign-in", strings.NewReader(url.Values{"username": {user}, "password": {pass}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = from + ":40000"
		rec := httptest.NewRecorder()
		f.server.ServeHTTP(rec, req)
		return rec
	}

	t.Run("a right password resets the count", func(t *testing.T) {
		for range 4 {
			assert.Equal(t, http.StatusUnauthorized, signIn("192.0.2.1", "sam", "wrong").Code)
		}
		assert.Equal(t, http.StatusSeeOther, signIn("192.0.2.1", "sam", password).Code)
		for range 4 {
			assert.Equal(t, http.StatusUnauthorized, signIn("192.0.2.1", "sam", "wrong").Code)
		}
		assert.Equal(t, http.StatusSeeOther, signIn("192.0.2.1", "sam", password).Code)
	})

	t.Run("per username, from any address", func(t *testing.T) {
		for i := range 4 {
			assert.Equal(t, http.StatusUnauthorized, signIn("192.0.2.10", "rita", "wrong").Code, "attempt %d", i+1)
		}
		fifth := signIn("192.0.2.11", "rita", "wrong")
		assert.Equal(t, http.StatusTooManyRequests, fifth.Code)
		assert.Contains(t, fifth.Body.String(), "Too many wrong passwords in a row")
		right := signIn("192.0.2.12", "rita", password)
		assert.Equal(t, http.StatusTooManyRequests, right.Code, "the right password is refused too while paused")
		assert.Empty(t, right.Result().Cookies(), "no session")

		// Once the pause is over, the right password works.
		_, err := f.db.Pool().Exec(context.Background(), `UPDATE sign_in_failures SET locked_until = now() - interval '1 second'`)
		require.NoError(t, err)
		assert.Equal(t, http.StatusSeeOther, signIn("192.0.2.12", "rita", password).Code)
	})

	t.Run("a burst of guesses in parallel gets five checked, no more", func(t *testing.T) {
		f.addUser("burst", store.UserInventoryClerk)
		var mu sync.Mutex
		var wrong, fifth int // answered "wrong", and "wrong, now paused"
		count := func(rec *httptest.ResponseRecorder) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case rec.Code == http.StatusUnauthorized:
				wrong++
			case strings.Contains(rec.Body.String(), "Wrong username or password. Too many"):
				fifth++
			}
		}
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() { count(signIn(fmt.Sprintf("203.0.113.%d", i+1), "burst", fmt.Sprintf("guess %d", i))) })
		}
		wg.Wait()
		// Then one at a time until the pause.
		for i := 0; i < 10 && fifth == 0; i++ {
			count(signIn("203.0.113.100", "burst", "one more guess"))
		}
		assert.Equal(t, 4, wrong, "four guesses checked and refused")
		assert.Equal(t, 1, fifth, "the fifth checked starts the pause")
		assert.Equal(t, http.StatusTooManyRequests, signIn("203.0.113.200", "burst", password).Code)
	})

	t.Run("per address, whatever the username", func(t *testing.T) {
		for i, user := range []string{"u1", "u2", "u3", "u4", "u5"} {
			code := signIn("198.51.100.7", user, "wrong").Code
			if i < 4 {
				assert.Equal(t, http.StatusUnauthorized, code, user)
			} else {
				assert.Equal(t, http.StatusTooManyRequests, code, user)
			}
		}
		assert.Equal(t, http.StatusTooManyRequests, signIn("198.51.100.7", "sam", password).Code, "a real user from that address waits too")
		assert.Equal(t, http.StatusSeeOther, signIn("198.51.100.8", "sam", password).Code, "from another address sam signs in")
	})
}

func TestSessionCookieAndIdleTimeout(t *testing.T) {
	f := newFixture(t, options{env: map[string]string{"BACKORDER_SESSION_IDLE_TIMEOUT": "10m"}})
	f.addUser("ida", store.UserAdmin)
	p := f.visitor().post("/sign-in", url.Values{"username": {"ida"}, "password": {password}})
	require.Equal(t, http.StatusSeeOther, p.status)
	raw := p.header.Values("Set-Cookie")
	require.Len(t, raw, 1)
	assert.Contains(t, raw[0], "HttpOnly")
	assert.Contains(t, raw[0], "SameSite=Lax")
	assert.NotContains(t, raw[0], "Secure", "plain http on this machine: a Secure cookie would never come back")

	var stored int
	require.NoError(t, f.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM web_sessions WHERE token_hash = sha256($1::bytea)`,
		[]byte(strings.TrimPrefix(strings.Split(raw[0], ";")[0], "backorder_session="))).Scan(&stored))
	assert.Equal(t, 1, stored, "only the token's SHA-256 is stored")

	b := f.visitor()
	b.c.Jar.SetCookies(mustURL(t, f.url), []*http.Cookie{{Name: "backorder_session", Value: strings.TrimPrefix(strings.Split(raw[0], ";")[0], "backorder_session=")}})
	require.Equal(t, http.StatusOK, b.get("/tasks").status)
	_, err := f.db.Pool().Exec(context.Background(), `UPDATE web_sessions SET last_seen_at = now() - interval '11 minutes'`)
	require.NoError(t, err)
	p = b.get("/tasks")
	assert.Equal(t, http.StatusSeeOther, p.status, "idle for longer than BACKORDER_SESSION_IDLE_TIMEOUT")

	t.Run("Secure behind https", func(t *testing.T) {
		f := newFixture(t, options{env: map[string]string{"BACKORDER_PUBLIC_URL": "https://backorders.example.com"}})
		f.addUser("ida", store.UserAdmin)
		p := f.visitor().post("/sign-in", url.Values{"username": {"ida"}, "password": {password}})
		require.Equal(t, http.StatusSeeOther, p.status)
		assert.Contains(t, p.header.Get("Set-Cookie"), "Secure")
	})
}

// The pages forbid scripts and framing by other sites.
func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, options{})
	p := f.visitor().get("/")
	assert.Contains(t, p.header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.NotContains(t, p.header.Get("Content-Security-Policy"), "script-src")
	assert.Equal(t, "SAMEORIGIN", p.header.Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", p.header.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", p.header.Get("Cache-Control"))
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
