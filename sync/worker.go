package sync

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultLease is how long a run holds its source without renewing: its
// heartbeat renews it every third of that, and every batch it commits
// renews it too, so a run loses its source only when its process has been
// gone, or cut off from the database, for a whole lease.
const DefaultLease = 30 * time.Second

// ProcessName names this process for the runs it makes: name when one is
// given, else host:pid.
func ProcessName(name string) string {
	if name != "" {
		return name
	}
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// Gone reports whether the process worker names is known to have ended: it
// is named host:pid, on this host, and no process has that pid. A process
// on another host, or named otherwise, is never known gone: its lease
// tells.
func Gone(worker string) bool {
	host, pidText, ok := strings.Cut(worker, ":")
	if !ok {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	if me, err := os.Hostname(); err != nil || me != host {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
