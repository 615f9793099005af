package testdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pulseproject/pulse/pgembed"
)

const embeddedPrefix = "pulse-testdb-"

// dropLeftovers drops databases that test binaries on this host created and
// could not drop because they were killed (Ctrl-C, test timeout). It is best
// effort: failing to tidy up after others is no reason to fail this test
// binary, and a real problem with the server shows up in New anyway.
func dropLeftovers(ctx context.Context, admin string) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database
		WHERE datname LIKE 'pulse\_t\_%' AND shobj_description(oid, 'pg_database') = $1`, marker())
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		fields := strings.Split(name, "_") // pulse, t, pid, counter, random
		if len(fields) != 5 {
			continue
		}
		if pid, err := strconv.Atoi(fields[2]); err != nil || processAlive(pid) {
			continue
		}
		// Several test binaries may sweep at once; IF EXISTS lets the losers pass.
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
}

// reapEmbedded stops and removes the embedded servers of test binaries that
// died before Main could (test timeout, SIGKILL), found by the pid in their
// directory name. Like dropLeftovers it is best effort.
func reapEmbedded(ctx context.Context) {
	tmp := os.TempDir()
	dirs, _ := filepath.Glob(filepath.Join(tmp, embeddedPrefix+"*")) // the pattern is valid
	for _, dir := range dirs {
		pidText, rest, ok := strings.Cut(strings.TrimPrefix(filepath.Base(dir), embeddedPrefix), "-")
		if !ok {
			continue
		}
		if pid, err := strconv.Atoi(pidText); err != nil || processAlive(pid) {
			continue
		}
		// Renaming claims the directory, so that of several test binaries
		// only one reaps it; the new name carries this binary's pid, so that
		// if it dies too, a later one reaps the directory in turn.
		claimed := filepath.Join(tmp, fmt.Sprintf("%s%d-%s", embeddedPrefix, os.Getpid(), rest))
		if os.Rename(dir, claimed) != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(claimed, "pg", "postmaster.pid")); err == nil {
			// Start attaches to the server of the dead binary (or starts
			// the cluster, if its server died too); as its only user,
			// Stop shuts it down.
			s, err := pgembed.Start(ctx, pgembed.Options{DataDir: claimed})
			if err != nil || s.Stop(ctx) != nil {
				continue
			}
		}
		_ = os.RemoveAll(claimed)
	}
}
