//go:build !linux

package localproc

import "syscall"

// ChildAttr runs a child as cred when cred is not nil. Outside Linux there
// is no parent-death signal: Close must run to stop the children.
func ChildAttr(_ syscall.Signal, cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
