package pgembed

import (
	"context"
	"fmt"
	"time"
)

// restartBackoffMax bounds the wait between KeepRunning's failed restarts.
const restartBackoffMax = 30 * time.Second

// KeepRunning is for long-running users such as `pulse serve`: until ctx
// ends or Stop is called, it looks every interval whether the server still
// runs and, if it is gone (stopped or killed under this user), starts it
// again on the same port, so that connections made from URL work again.
// Failed restarts are logged and retried with backoff. It returns ctx's
// error.
func (s *Server) KeepRunning(ctx context.Context, every time.Duration) error {
	wait := every
	for {
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		err := s.revive(ctx)
		if err == nil {
			wait = every
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.logger.Error("keeping PostgreSQL running", "err", err, "retry_in", wait)
		wait = min(2*wait, max(every, restartBackoffMax))
	}
}

// revive starts the server again if no postmaster runs on the cluster.
func (s *Server) revive(ctx context.Context) error {
	// Reading postmaster.pid is cheap enough to do every interval; the
	// lock is only taken when the server looks gone.
	if state, _, _, err := s.postmaster(); err != nil || state == livePostmaster {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	unlock, err := lockDataDir(ctx, s.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	running, err := s.attach(ctx)
	if err != nil {
		return err
	}
	if running == s.port {
		return nil // another process started it again
	}
	if running != 0 {
		return fmt.Errorf("pgembed: PostgreSQL was started again by another process, on port %d rather than %d; restart this process to use it", running, s.port)
	}
	s.logger.Warn("PostgreSQL is gone; starting it again", "port", s.port)
	if _, err := s.start(ctx, s.port); err != nil {
		return err
	}
	s.logger.Info("started PostgreSQL again", "port", s.port)
	return nil
}
