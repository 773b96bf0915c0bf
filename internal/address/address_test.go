package address

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEmail(t *testing.T) {
	for _, ok := range []string{"jane@example.com", "j.doe+orders@mail.example.co.uk"} {
		assert.NoError(t, Email(ok), ok)
	}
	for _, bad := range []string{"", "jane", "jane@", "@example.com", "Jane <jane@example.com>", " jane@example.com", "jane@example.com,bob@example.com"} {
		assert.Error(t, Email(bad), bad)
	}
}

func TestPhone(t *testing.T) {
	for _, ok := range []string{"+14155552671", "+447911123456", "+4915112345678"} {
		assert.NoError(t, Phone(ok), ok)
	}
	for _, bad := range []string{
		"", "4155552671", "+1 415 555 2671", "+1-415-555-2671", "+0123456789",
		"+15555550100", // 555 is not an area code
		"+1415555267", "+1234567890123456",
	} {
		assert.Error(t, Phone(bad), bad)
	}
}
