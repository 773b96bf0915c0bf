package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords are kept as argon2id hashes in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash), so the cost can be raised
// later without breaking the hashes already stored: each carries its own.

// The cost of a new hash: OWASP's argon2id minimum (19 MiB, 2 passes, 1
// lane), about 30 ms here. Sign-in is rate-limited on top of it.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Password length bounds: short ones are guessed; very long ones would
// only make hashing a way to burn the server's CPU.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// CheckPasswordRules says what is wrong with a new password, nil when it
// may be used.
func CheckPasswordRules(password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return errors.New("the password is not valid UTF-8 text")
	case n < MinPasswordLength:
		return fmt.Errorf("the password has %d characters: use at least %d", n, MinPasswordLength)
	case len(password) > MaxPasswordLength:
		return fmt.Errorf("the password is longer than %d bytes: use a shorter one", MaxPasswordLength)
	}
	return nil
}

// HashPassword hashes a password for storing.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// PasswordMatches reports whether password is the one hashed in encoded.
// A malformed hash matches nothing.
func PasswordMatches(encoded, password string) bool {
	if len(password) > MaxPasswordLength {
		return false
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory == 0 || passes == 0 || threads == 0 || memory > 1<<20 || passes > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// decoyHash is checked against when a username does not exist, so a
// wrong name takes as long as a wrong password and sign-in does not tell
// which names exist.
var decoyHash = sync.OnceValue(func() string {
	h, err := HashPassword("a decoy: no account has this hash")
	if err != nil {
		panic(err) // the system's random source failed
	}
	return h
})
