package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAgeIsShortAndReadable(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second: "<1m",
		42 * time.Minute: "42m",
		5 * time.Hour:    "5h",
		47 * time.Hour:   "47h",
		72 * time.Hour:   "3d",
	} {
		assert.Equal(t, want, age(d), d.String())
	}
}
