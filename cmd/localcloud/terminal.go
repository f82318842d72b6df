package main

import (
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// foreground makes this process its own process group and that group the
// terminal's foreground one, when it runs in the foreground of a terminal,
// so that Ctrl-C reaches it alone. `make dev` runs it, and GNU make, when
// the terminal interrupts it too, kills itself with the signal after its
// job ends, however cleanly the job stopped: the shell would see 130, not
// 0. The returned function gives the terminal back to the group it came
// from; the shell takes it back anyway when make exits.
func foreground() (restore func()) {
	restore = func() {}
	fd := os.Stdin.Fd()
	old, err := terminalGroup(fd)
	if err != nil || old != syscall.Getpgrp() {
		return restore // no terminal, or run in the background
	}
	// A process outside the foreground group that sets the terminal's
	// group is stopped with SIGTTOU unless it ignores the signal.
	signal.Ignore(syscall.SIGTTOU)
	if syscall.Setpgid(0, 0) != nil {
		return restore
	}
	if setTerminalGroup(fd, syscall.Getpid()) != nil {
		_ = syscall.Setpgid(0, old)
		return restore
	}
	return func() { _ = setTerminalGroup(fd, old) }
}

func terminalGroup(fd uintptr) (int, error) {
	var pgid int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&pgid))); e != 0 {
		return 0, e
	}
	return int(pgid), nil
}

func setTerminalGroup(fd uintptr, pgid int) error {
	p := int32(pgid)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSPGRP, uintptr(unsafe.Pointer(&p))); e != 0 {
		return e
	}
	return nil
}
