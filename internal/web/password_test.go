package web

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPasswordHashes(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)
	assert.True(t, PasswordMatches(h, "correct horse battery"))
	assert.False(t, PasswordMatches(h, "correct horse batterY"))
	again, err := HashPassword("correct horse battery")
	require.NoError(t, err)
	assert.NotEqual(t, h, again, "a new salt every time")

	for _, broken := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", strings.Replace(h, "m=19456", "m=999999999", 1), h[:len(h)-5] + "!!!!!"} {
		assert.False(t, PasswordMatches(broken, "correct horse battery"), broken)
	}
	assert.False(t, PasswordMatches(decoyHash(), ""), "the decoy matches nothing a person types")
}

func TestPasswordRules(t *testing.T) {
	assert.NoError(t, CheckPasswordRules("twelve chars"))
	assert.ErrorContains(t, CheckPasswordRules("eleven char"), "has 11 characters: use at least 12")
	assert.NoError(t, CheckPasswordRules("ünïcödé-pässwörd"), "characters, not bytes")
	assert.ErrorContains(t, CheckPasswordRules(strings.Repeat("x", 257)), "longer than 256 bytes")
	assert.ErrorContains(t, CheckPasswordRules("bad \xff utf-8 text"), "not valid UTF-8")
}

// A link that signs someone in sends them only to a page of this server.
func TestLocalPath(t *testing.T) {
	for next, want := range map[string]string{
		"/tasks/T-1":               "/tasks/T-1",
		"/backorders?stage=x":      "/backorders?stage=x",
		"":                         "/tasks",
		"https://evil.example":     "/tasks",
		"//evil.example/x":         "/tasks",
		"/\\evil.example":          "/tasks",
		"/tasks\r\nSet-Cookie: x=": "/tasks",
		"javascript:alert(1)":      "/tasks",
	} {
		assert.Equal(t, want, localPath(next), next)
	}
}

func TestPagesParse(t *testing.T) {
	p, err := parsePages()
	require.NoError(t, err)
	assert.Len(t, p, len(pageNames))
}
