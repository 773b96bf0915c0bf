// Package address checks the recipients and senders of messages before
// anything is sent: an address a provider would refuse is a permanent
// failure, found without spending a request on it.
package address

import (
	"fmt"
	"net/mail"
	"regexp"

	"github.com/nyaruka/phonenumbers"
)

// e164 is the shape of an E.164 number: a plus, then up to 15 digits.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// Email checks that s is one bare email address ("jane@example.com", no
// display name).
func Email(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return fmt.Errorf("%q is not an email address", s)
	}
	return nil
}

// Phone checks that s is a valid phone number written in E.164
// ("+14155552671").
func Phone(s string) error {
	if !e164.MatchString(s) {
		return fmt.Errorf("%q is not a phone number in E.164 form, such as +14155552671", s)
	}
	n, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return fmt.Errorf("%q is not a valid phone number", s)
	}
	return nil
}
