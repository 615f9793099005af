package conformance

import (
	"context"
	"os"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

func (s *suite) ruleKill(ctx context.Context) Result {
	if s.blocked != "" {
		return s.notRun()
	}
	if len(s.full.checkpoints()) == 0 {
		return fail("the read sent no checkpoint to kill it after")
	}
	conn, err := s.launch(ctx)
	if err != nil {
		return fail("%v", err)
	}
	defer conn.Close()
	pid := conn.Pid()
	var killErr error
	killed := false
	interrupted := s.read(ctx, conn, s.opts.Config, nil, func(m *connectorpb.ReadMessage) {
		if _, ok := m.GetMessage().(*connectorpb.ReadMessage_State); !ok || killed {
			return
		}
		killed = true
		p, err := os.FindProcess(pid)
		if err == nil {
			err = p.Kill()
		}
		killErr = err
	})
	if killErr != nil {
		return fail("kill plugin process %d: %v", pid, killErr)
	}
	if !killed {
		return fail("the read sent no checkpoint this time: %s", interrupted.failure())
	}
	// What the host commits: every message that arrived before the read
	// broke off.
	state, done := interrupted.committed(len(interrupted.events))
	fresh, err := s.launch(ctx)
	if err != nil {
		return fail("%v", err)
	}
	defer fresh.Close()
	resumed := s.read(ctx, fresh, s.opts.Config, state, nil)
	if msg := resumed.failure(); msg != "" {
		return fail("resuming after the kill: %s", msg)
	}
	want := s.full.records(nil)
	if d := describeDiff(diff(want, done.plus(resumed.records(nil)))); d != "" {
		return fail("killed after the first checkpoint with %d records committed, the resumed read %s", done.size(), d)
	}
	how := "the read broke off"
	if interrupted.err == nil && interrupted.connErr == nil {
		how = "the read had already finished"
	}
	return pass("killed pid %d after the first checkpoint (%s, %d records committed); the resume yields exactly the rest of %d",
		pid, how, done.size(), want.size())
}
