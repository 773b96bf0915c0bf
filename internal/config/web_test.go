package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebDefaults(t *testing.T) {
	cfg, err := load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8080", cfg.Web.HTTPAddr)
	assert.Equal(t, "http://127.0.0.1:8080", cfg.Web.PublicURL.String())
	assert.Equal(t, 30*time.Minute, cfg.Web.SessionIdleTimeout)
	assert.False(t, cfg.Web.OIDC.Enabled())

	// --addr moves the default public URL along, not a configured one.
	w, err := cfg.Web.WithAddr("0.0.0.0:9000")
	require.NoError(t, err)
	assert.Equal(t, "http://0.0.0.0:9000", w.PublicURL.String())
	_, err = cfg.Web.WithAddr("no-port")
	require.Error(t, err)
	cfg, err = load(env(map[string]string{"BACKORDER_PUBLIC_URL": "https://shop.example/backorders/"}))
	require.NoError(t, err)
	w, err = cfg.Web.WithAddr("0.0.0.0:9000")
	require.NoError(t, err)
	assert.Equal(t, "https://shop.example/backorders", w.PublicURL.String())
}

func TestWebSettingsRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		vars map[string]string
		want string
	}{
		"address":         {map[string]string{"BACKORDER_HTTP_ADDR": "8080"}, `BACKORDER_HTTP_ADDR="8080" must be HOST:PORT`},
		"public URL":      {map[string]string{"BACKORDER_PUBLIC_URL": "backorders.example.com"}, "BACKORDER_PUBLIC_URL"},
		"idle timeout":    {map[string]string{"BACKORDER_SESSION_IDLE_TIMEOUT": "30s"}, "at least 1m"},
		"issuer no id":    {map[string]string{"BACKORDER_OIDC_ISSUER": "https://login.example"}, "BACKORDER_OIDC_CLIENT_ID"},
		"issuer in clear": {map[string]string{"BACKORDER_OIDC_ISSUER": "http://login.example", "BACKORDER_OIDC_CLIENT_ID": "x"}, "in clear"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := load(env(tc.vars))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	cfg, err := load(env(map[string]string{"BACKORDER_OIDC_ISSUER": "http://127.0.0.1:5556", "BACKORDER_OIDC_CLIENT_ID": "x", "BACKORDER_OIDC_CLIENT_SECRET": "shh"}))
	require.NoError(t, err, "an issuer on this machine may be plain http")
	assert.NotContains(t, cfg.Web.OIDC.ClientSecret.String(), "shh")
}
