package chaos

import (
	"sync"
	"testing"
)

// cleanups stands in for the testing.TB the provider fakes take, so the
// chaos command (not a test) can run them too: the fakes only register
// their shutdown with Cleanup. Any other testing.TB method panics, on
// purpose (the embedded interface is nil).
type cleanups struct {
	testing.TB
	mu  sync.Mutex
	fns []func()
}

func (c *cleanups) Helper() {}

func (c *cleanups) Cleanup(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns = append(c.fns, f)
}

// run calls the registered functions, last first.
func (c *cleanups) run() {
	c.mu.Lock()
	fns := c.fns
	c.fns = nil
	c.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
