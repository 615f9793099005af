package pgembed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// A user is a Server value in some process that uses the cluster: it holds
// an exclusive flock on its own file in DataDir/pg.users from Start until
// Stop. The kernel drops the lock when the process dies, however it dies,
// so a file whose lock can be taken belongs to no one and is swept away:
// the count of users never leaks. Files are only made, locked, counted and
// removed under lockDataDir, so that a file is never seen between being
// made and being locked.

// registerUser makes this Server's user file and locks it; the data
// directory lock is held.
func (s *Server) registerUser() error {
	dir := s.usersPath()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	f, err := os.CreateTemp(dir, fmt.Sprintf("%d-*", os.Getpid()))
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return fmt.Errorf("pgembed: locking %s: %w", f.Name(), err)
	}
	// Read by people wondering why the server is still running.
	if _, err := fmt.Fprintf(f, "pid %d: %s\n", os.Getpid(), strings.Join(os.Args, " ")); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return fmt.Errorf("pgembed: %w", err)
	}
	s.user = f
	return nil
}

// releaseUser removes this Server's user file and drops its lock; the data
// directory lock is held. Removing before closing keeps a sweeper from
// counting the file as stale in between, not that it could: it would need
// the data directory lock.
func (s *Server) releaseUser() {
	if s.user == nil {
		return
	}
	_ = os.Remove(s.user.Name())
	_ = s.user.Close()
	s.user = nil
}

// otherUsers returns the pids of the users other than this Server, and
// removes the files of users that are gone; the data directory lock is
// held. Another Server of this process counts as another user: flock
// locks belong to open files, not to processes.
func (s *Server) otherUsers() ([]string, error) {
	entries, err := os.ReadDir(s.usersPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	var pids []string
	for _, e := range entries {
		path := filepath.Join(s.usersPath(), e.Name())
		if s.user != nil && path == s.user.Name() {
			continue
		}
		live, err := heldByUser(path)
		if err != nil {
			return nil, err
		}
		if live {
			pid, _, _ := strings.Cut(e.Name(), "-")
			pids = append(pids, pid)
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("pgembed: removing the file of a user that is gone: %w", err)
		}
	}
	return pids, nil
}

// heldByUser reports whether some open file holds path's lock.
func heldByUser(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgembed: %w", err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgembed: locking %s: %w", path, err)
	}
	return false, nil // closing f drops the lock just taken
}

func (s *Server) usersPath() string { return filepath.Join(s.dataDir, "pg.users") }
