//go:build linux

package localproc

import "syscall"

// ChildAttr makes a child die with the drill process (SIGKILL, or sig when
// not zero), so a crashed or killed run leaves nothing behind, and runs it
// as cred when cred is not nil.
func ChildAttr(sig syscall.Signal, cred *syscall.Credential) *syscall.SysProcAttr {
	if sig == 0 {
		sig = syscall.SIGKILL
	}
	return &syscall.SysProcAttr{Pdeathsig: sig, Credential: cred}
}
