// Command pulse-bench-load measures how fast a sync loads data against
// the fastest way PostgreSQL takes the same rows: in one run it loads a
// demo set through Pulse's sync engine (the real demo connector, as a
// plugin process) into a fresh database, then COPYs the very rows that
// sync stored into a second fresh database of the same schema, with its
// indexes, triggers and foreign keys, and prints records per second of
// both and their ratio. The rows are read out of the first database
// before the clock starts, so the COPY measures loading alone.
//
//	go run ./cmd/pulse-bench-load -size 10000
//
// Both are timed by the wall clock, and by the CPU time they take, in
// PostgreSQL's server processes and in Pulse's (its connector's
// included): on a machine shared with other work, the CPU figures vary
// less from run to run. The CPU of server processes is read from /proc,
// so the server must run on this machine (Linux).
//
// It creates and drops its own two databases on the server of
// -database-url (a database to run CREATE DATABASE from). It is a
// program, not a test: go test never runs it.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/connectors/demo"
	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/secrets"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
)

// copied are the tables a sync of the demo set fills, in an order their
// foreign keys accept.
var copied = []string{
	"external_refs", "identity_links", "people", "accounts", "contacts", "account_team",
	"subscription_items", "deals", "activities", "tickets", "survey_responses", "fx_rates",
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "connector" && os.Args[2] == "serve" && os.Args[3] == "demo" {
		sdk.Serve(demo.New())
		return
	}
	admin := flag.String("database-url", "postgres://postgres@127.0.0.1:5432/postgres", "a database on the server to create the benchmark's databases from")
	size := flag.Int("size", 10000, "demo accounts to load")
	keep := flag.Bool("keep", false, "keep the two databases afterwards")
	flag.Parse()
	if err := run(context.Background(), *admin, *size, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "pulse-bench-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, adminURL string, size int, keep bool) error {
	stamp := time.Now().UTC().Format("20060102150405")
	syncURL, dropSync, err := createDB(ctx, adminURL, "pulse_bench_sync_"+stamp, keep)
	if err != nil {
		return err
	}
	defer dropSync()
	copyURL, dropCopy, err := createDB(ctx, adminURL, "pulse_bench_copy_"+stamp, keep)
	if err != nil {
		return err
	}
	defer dropCopy()

	records, syncTime, syncCPU, err := loadBySync(ctx, syncURL, size)
	if err != nil {
		return err
	}
	rows, copyTime, copyCPU, err := loadByCopy(ctx, syncURL, copyURL)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "accounts\tpath\trecords\trows\tseconds\trecords/s\tCPU s\trecords/CPU s\t\n")
	for _, l := range []struct {
		path      string
		took, cpu time.Duration
	}{{"sync", syncTime, syncCPU}, {"COPY", copyTime, copyCPU}} {
		fmt.Fprintf(w, "%d\t%s\t%d\t%d\t%.1f\t%.0f\t%.1f\t%.0f\t\n", size, l.path, records, rows,
			l.took.Seconds(), float64(records)/l.took.Seconds(), l.cpu.Seconds(), float64(records)/l.cpu.Seconds())
	}
	w.Flush()
	fmt.Printf("sync / COPY: %.2f by the clock, %.2f by CPU time\n", copyTime.Seconds()/syncTime.Seconds(), copyCPU.Seconds()/syncCPU.Seconds())
	return nil
}

// createDB makes an empty database, migrated; drop removes it unless
// keep.
func createDB(ctx context.Context, adminURL, name string, keep bool) (string, func(), error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("database url: %w", err)
	}
	u.Path = "/" + name
	drop := func() {
		if keep {
			fmt.Fprintln(os.Stderr, "kept", u.String())
			return
		}
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	db, err := store.Open(ctx, u.String())
	if err != nil {
		drop()
		return "", nil, err
	}
	defer store.Close(db)
	if _, err := store.Migrate(ctx, db); err != nil {
		drop()
		return "", nil, err
	}
	return u.String(), drop, nil
}

// loadBySync syncs a demo source of size accounts, as pulse demo does,
// and returns the records it read and how long the run took.
func loadBySync(ctx context.Context, dbURL string, size int) (int64, time.Duration, time.Duration, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return 0, 0, 0, err
	}
	defer store.Close(db)
	// Every connection the run opens stays open, so that the CPU time of
	// its server process can be read at the end.
	sqlDB, err := db.DB()
	if err != nil {
		return 0, 0, 0, err
	}
	sqlDB.SetMaxIdleConns(1000)
	sqlDB.SetConnMaxIdleTime(0)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	if err != nil {
		return 0, 0, 0, err
	}
	h := host.New(host.Options{Builtins: []string{"demo"}, BuiltinArgs: func(name string) []string { return []string{"connector", "serve", name} }})
	svc := &sources.Service{DB: db, Host: h, Box: box}
	src, err := svc.Create(ctx, sources.Input{Kind: "demo", Name: "demo", Config: map[string]any{"seed": 1, "size": size, "end_date": "2026-06-30"}})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("create source: %w", err)
	}
	engine := &sync.Engine{DB: db, Host: h, Sources: svc, CommitEvery: sync.DefaultCommitEvery}
	before, err := serverCPU(ctx, db.Raw)
	if err != nil {
		return 0, 0, 0, err
	}
	self := ownCPU()
	start := time.Now()
	last := start
	engine.OnProgress = func(p sync.Progress) {
		if p.Done {
			took := time.Since(last)
			last = time.Now()
			fmt.Fprintf(os.Stderr, "sync %-14s %9d records %6.1f s %8.0f/s\n", p.Stream, p.Read, took.Seconds(), float64(p.Read)/took.Seconds())
		}
	}
	run, err := engine.Run(ctx, src, "bench")
	took := time.Since(start)
	cpu := ownCPU() - self
	if err != nil {
		return 0, 0, 0, err
	}
	if run.RecordsRejected > 0 || run.RecordsDeferred > 0 {
		return 0, 0, 0, fmt.Errorf("sync rejected %d and deferred %d records", run.RecordsRejected, run.RecordsDeferred)
	}
	after, err := serverCPU(ctx, db.Raw)
	if err != nil {
		return 0, 0, 0, err
	}
	own := cpu
	for pid, t := range after {
		cpu += t - before[pid]
	}
	fmt.Fprintf(os.Stderr, "sync CPU: %.1f s in Pulse and its connector, %.1f s in the server\n", own.Seconds(), (cpu - own).Seconds())
	return run.RecordsRead, took, cpu, nil
}

// loadByCopy reads the rows of every copied table out of the database at
// from, then times COPYing them into the one at to, and returns the rows
// copied.
func loadByCopy(ctx context.Context, from, to string) (int64, time.Duration, time.Duration, error) {
	src, err := pgx.Connect(ctx, from)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("connect: %w", err)
	}
	defer src.Close(ctx)
	dst, err := pgx.Connect(ctx, to)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("connect: %w", err)
	}
	defer dst.Close(ctx)
	// The source row first: the tables refer to it.
	var sourcesData bytes.Buffer
	if _, err := src.PgConn().CopyTo(ctx, &sourcesData, "COPY sources TO STDOUT (FORMAT binary)"); err != nil {
		return 0, 0, 0, fmt.Errorf("read sources: %w", err)
	}
	if _, err := dst.PgConn().CopyFrom(ctx, &sourcesData, "COPY sources FROM STDIN (FORMAT binary)"); err != nil {
		return 0, 0, 0, fmt.Errorf("copy sources: %w", err)
	}
	data := make([]bytes.Buffer, len(copied))
	columns := make([]string, len(copied))
	for i, t := range copied {
		var cols []string
		rows, err := src.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`, t)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("columns of %s: %w", t, err)
		}
		cols, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return 0, 0, 0, fmt.Errorf("columns of %s: %w", t, err)
		}
		if len(cols) == 0 {
			return 0, 0, 0, errors.New("no table " + t)
		}
		for j, c := range cols {
			cols[j] = pgx.Identifier{c}.Sanitize()
		}
		columns[i] = strings.Join(cols, ", ")
		if _, err := src.PgConn().CopyTo(ctx, &data[i], "COPY (SELECT "+columns[i]+" FROM "+t+") TO STDOUT (FORMAT binary)"); err != nil {
			return 0, 0, 0, fmt.Errorf("read %s: %w", t, err)
		}
	}
	var pid int
	if err := dst.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		return 0, 0, 0, fmt.Errorf("server process: %w", err)
	}
	server, err := processCPU(pid)
	if err != nil {
		return 0, 0, 0, err
	}
	self := ownCPU()
	var n int64
	start := time.Now()
	for i, t := range copied {
		began := time.Now()
		tag, err := dst.PgConn().CopyFrom(ctx, &data[i], "COPY "+t+" ("+columns[i]+") FROM STDIN (FORMAT binary)")
		if err != nil {
			return 0, 0, 0, fmt.Errorf("copy %s: %w", t, err)
		}
		took := time.Since(began)
		fmt.Fprintf(os.Stderr, "COPY %-18s %9d rows %6.1f s %8.0f/s\n", t, tag.RowsAffected(), took.Seconds(), float64(tag.RowsAffected())/took.Seconds())
		n += tag.RowsAffected()
	}
	took := time.Since(start)
	cpu := ownCPU() - self
	serverAfter, err := processCPU(pid)
	if err != nil {
		return 0, 0, 0, err
	}
	return n, took, cpu + serverAfter - server, nil
}

// serverCPU is the CPU time so far of each server process with a
// connection to the database raw queries.
func serverCPU(ctx context.Context, raw func(string, ...any) *gorm.DB) (map[int]time.Duration, error) {
	var pids []int
	if err := raw("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").WithContext(ctx).Scan(&pids).Error; err != nil {
		return nil, fmt.Errorf("server processes: %w", err)
	}
	out := map[int]time.Duration{}
	for _, pid := range pids {
		t, err := processCPU(pid)
		if err != nil {
			return nil, err
		}
		out[pid] = t
	}
	return out, nil
}

// processCPU is the user and system time process pid has used.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("CPU time of process %d (is the server on this machine?): %w", pid, err)
	}
	// The fields after the command, which is in parentheses: utime and
	// stime are the 14th and 15th of the line, in clock ticks.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("CPU time of process %d: short /proc stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("CPU time of process %d: %w", pid, err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// clockTicks is Linux's USER_HZ, the unit of /proc's times.
const clockTicks = 100

// ownCPU is the user and system time of this process and of its children
// that have ended (the connector's plugin, once its run is over).
func ownCPU() time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(children.Utime) + tv(children.Stime)
}
