package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
)

// issuer is a small OpenID Connect provider for the test: discovery, an
// authorization endpoint that signs in whoever the test says, a token
// endpoint that checks the client and the PKCE verifier, and its keys.
type issuer struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	secret   string

	mu sync.Mutex
	// claims are the next sign-in's extra ID token claims.
	claims map[string]any
	// wrongNonce makes the ID token carry another nonce.
	wrongNonce bool
	codes      map[string]grant
}

type grant struct {
	nonce, challenge, redirectURI string
	claims                        map[string]any
}

func newIssuer(t *testing.T) *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	is := &issuer{t: t, key: key, clientID: "backorders-web", secret: "s3cret", codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", is.discovery)
	mux.HandleFunc("GET /authorize", is.authorize)
	mux.HandleFunc("POST /token", is.token)
	mux.HandleFunc("GET /keys", is.keys)
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) signInAs(claims map[string]any) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.claims = claims
}

func (is *issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": is.srv.URL, "authorization_endpoint": is.srv.URL + "/authorize", "token_endpoint": is.srv.URL + "/token",
		"jwks_uri": is.srv.URL + "/keys", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"},
	})
}

func (is *issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != is.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	is.mu.Lock()
	code := randomID()
	is.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri"), claims: is.claims}
	is.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	require.NoError(is.t, err)
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (is *issuer) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	is.mu.Lock()
	g, found := is.codes[r.PostFormValue("code")]
	delete(is.codes, r.PostFormValue("code"))
	wrongNonce := is.wrongNonce
	is.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if id != is.clientID || secret != is.secret || !found || g.redirectURI != r.PostFormValue("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	nonce := g.nonce
	if wrongNonce {
		nonce = "another-" + nonce
	}
	claims := map[string]any{"iss": is.srv.URL, "sub": "subject-1", "aud": is.clientID,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(), "nonce": nonce}
	for k, v := range g.claims {
		claims[k] = v
	}
	payload, err := json.Marshal(claims)
	require.NoError(is.t, err)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: is.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	require.NoError(is.t, err)
	signed, err := signer.Sign(payload)
	require.NoError(is.t, err)
	idToken, err := signed.CompactSerialize()
	require.NoError(is.t, err)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + randomID(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

func (is *issuer) keys(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &is.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// A person signs in at the provider; the app signs in the local account
// of that name, with its role, and nobody without one.
func TestSingleSignOn(t *testing.T) {
	is := newIssuer(t)
	f := newFixture(t, options{env: map[string]string{
		"BACKORDER_OIDC_ISSUER": is.srv.URL, "BACKORDER_OIDC_CLIENT_ID": is.clientID, "BACKORDER_OIDC_CLIENT_SECRET": is.secret,
	}})
	require.NoError(t, f.db.AddUser(t.Context(), store.User{Username: "olivia", Role: store.UserProcurementManager}, false), "an SSO-only account")

	// A browser that follows every redirect, between the app and the
	// provider, as a person's does.
	person := func() *http.Client {
		jar, err := cookiejar.New(nil)
		require.NoError(t, err)
		return &http.Client{Jar: jar}
	}
	signIn := func(c *http.Client, path string) (*http.Response, string) {
		resp, err := c.Get(f.url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}

	signInPage := f.visitor().get("/")
	require.Contains(t, signInPage.text(), "Sign in with single sign-on")

	t.Run("a known user", func(t *testing.T) {
		is.signInAs(map[string]any{"preferred_username": "olivia"})
		c := person()
		resp, body := signIn(c, "/auth/oidc/login?next=/backorders")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, "/backorders", resp.Request.URL.Path, "back to the page asked for")
		assert.Contains(t, body, "Signed in as <strong>olivia</strong> (procurement manager)")
	})
	t.Run("by verified email when there is no username", func(t *testing.T) {
		require.NoError(t, f.db.AddUser(t.Context(), store.User{Username: "ed@example.com", Role: store.UserInventoryClerk}, false))
		is.signInAs(map[string]any{"email": "ed@example.com", "email_verified": true})
		resp, body := signIn(person(), "/auth/oidc/login")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Contains(t, body, "Signed in as <strong>ed@example.com</strong> (inventory clerk)")

		is.signInAs(map[string]any{"email": "ed@example.com", "email_verified": false})
		resp, body = signIn(person(), "/auth/oidc/login")
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "an unverified email names nobody")
		assert.NotContains(t, body, "Signed in as")
	})
	t.Run("no local account", func(t *testing.T) {
		is.signInAs(map[string]any{"preferred_username": "mallory"})
		resp, body := signIn(person(), "/auth/oidc/login")
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Contains(t, body, "this app has no account of that name")
		assert.NotContains(t, body, "Signed in as")
	})
	t.Run("a token for another sign-in (nonce) is refused", func(t *testing.T) {
		is.signInAs(map[string]any{"preferred_username": "olivia"})
		is.mu.Lock()
		is.wrongNonce = true
		is.mu.Unlock()
		defer func() { is.mu.Lock(); is.wrongNonce = false; is.mu.Unlock() }()
		resp, body := signIn(person(), "/auth/oidc/login")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.NotContains(t, body, "Signed in as")
	})
	t.Run("a callback that did not start here is refused", func(t *testing.T) {
		resp, body := signIn(person(), "/auth/oidc/callback?code=stolen&state=guessed")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, body, "This sign-in did not start here")
	})
	t.Run("an SSO-only account has no password to guess", func(t *testing.T) {
		p := f.visitor().post("/sign-in", url.Values{"username": {"olivia"}, "password": {""}})
		assert.NotEqual(t, http.StatusSeeOther, p.status)
		p = f.visitor().post("/sign-in", url.Values{"username": {"olivia"}, "password": {password}})
		assert.Equal(t, http.StatusUnauthorized, p.status)
	})
}
