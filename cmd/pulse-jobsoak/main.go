// Command pulse-jobsoak runs Pulse as on several machines, on one database,
// and prints what the job queue guarantees: one `pulse serve` and two
// `pulse worker` processes, ten demo sources on 1-minute schedules, for a
// while; optionally one worker is SIGKILLed mid-run. It prints the runs
// that overlapped another run of their source, the scheduled runs that
// started early (before the previous run's start plus the schedule), the
// runs left RUNNING, and the runs per worker.
//
//	go build -o /tmp/pulse ./cmd/pulse
//	go run ./cmd/pulse-jobsoak --pulse /tmp/pulse --database-url postgres://... --duration 10m --kill-after 3m
//
// The database must be empty: the soak adds its sources. The processes
// take their short scheduler tick and lease from hidden flags (--tick,
// --lease); the schedules themselves are the real 1 minute, the least a
// source may have.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	pulse := flag.String("pulse", "pulse", "the pulse binary")
	url := flag.String("database-url", "", "an empty PostgreSQL database")
	duration := flag.Duration("duration", 10*time.Minute, "how long to run")
	killAfter := flag.Duration("kill-after", 0, "SIGKILL the first worker at its first run in progress after this long (0: never)")
	sources := flag.Int("sources", 10, "demo sources on 1-minute schedules")
	size := flag.Int("size", 200, "demo accounts per source")
	tick := flag.Duration("tick", 5*time.Second, "the processes' scheduler tick")
	lease := flag.Duration("lease", 10*time.Second, "the processes' run lease")
	flag.Parse()
	if *url == "" {
		log.Fatal("pulse-jobsoak: --database-url is required")
	}
	if err := soak(*pulse, *url, *duration, *killAfter, *sources, *size, *tick, *lease); err != nil {
		log.Fatal("pulse-jobsoak: ", err)
	}
}

// proc is a started Pulse process.
type proc struct {
	name string
	cmd  *exec.Cmd
}

func soak(pulse, url string, duration, killAfter time.Duration, sources, size int, tick, lease time.Duration) error {
	dir, err := os.MkdirTemp("", "pulse-jobsoak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), "DATABASE_URL="+url, "PULSE_DATA_DIR="+dir)
	run := func(args ...string) error {
		cmd := exec.Command(pulse, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("pulse %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("migrate"); err != nil {
		return err
	}
	for i := range sources {
		if err := run("source", "add", "demo", fmt.Sprintf("s%02d", i), fmt.Sprintf("size=%d", size), fmt.Sprintf("seed=%d", i+1),
			"end_date=2026-06-30", "--schedule", "1m"); err != nil {
			return err
		}
	}
	hidden := []string{"--scheduler-tick", tick.String(), "--lease", lease.String()}
	start := func(name string, args ...string) (*proc, error) {
		cmd := exec.Command(pulse, append(args, hidden...)...)
		cmd.Env = env
		logf, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return &proc{name, cmd}, nil
	}
	serve, err := start("serve", "serve", "--addr", "127.0.0.1:0", "--workers", "2", "--name", "serve")
	if err != nil {
		return err
	}
	w1, err := start("worker-1", "worker", "--workers", "2", "--name", "worker-1")
	if err != nil {
		return err
	}
	w2, err := start("worker-2", "worker", "--workers", "2", "--name", "worker-2")
	if err != nil {
		return err
	}
	procs := []*proc{serve, w1, w2}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	began := time.Now()
	killed := ""
	for time.Since(began) < duration {
		time.Sleep(time.Second)
		if killAfter > 0 && killed == "" && time.Since(began) >= killAfter {
			var n int
			if err := db.QueryRow("SELECT count(*) FROM sync_runs WHERE status = 'running' AND worker = 'worker-1'").Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				if err := w1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					return err
				}
				_ = w1.cmd.Wait()
				killed = fmt.Sprintf("worker-1 SIGKILLed at %s with a run in progress", time.Since(began).Round(time.Second))
				if w1, err = start("worker-1b", "worker", "--workers", "2", "--name", "worker-1b"); err != nil {
					return err
				}
				procs = append(procs, w1)
			}
		}
	}
	for _, p := range procs {
		if p.cmd.ProcessState != nil {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Wait()
		}
	}
	return report(os.Stdout, db, duration, sources, killed)
}

func report(w io.Writer, db *sql.DB, duration time.Duration, sources int, killed string) error {
	one := func(q string) (int, error) {
		var n int
		err := db.QueryRow(q).Scan(&n)
		return n, err
	}
	overlapping, err := one(`SELECT count(*) FROM sync_runs a JOIN sync_runs b
		ON a.source_id = b.source_id AND a.id < b.id
		AND tstzrange(a.started_at, coalesce(a.finished_at, 'infinity')) && tstzrange(b.started_at, coalesce(b.finished_at, 'infinity'))`)
	if err != nil {
		return err
	}
	// A scheduled run is early when it started before the previous run of
	// its source started plus the schedule, unless that run was cut off
	// (a resumed job) or paused until a time the vendor named.
	early, err := one(`SELECT count(*) FROM (
		SELECT r.trigger, r.started_at, s.schedule::interval AS every,
		       lag(r.started_at) OVER w AS prev_start, lag(r.status) OVER w AS prev_status, lag(r.paused_until) OVER w AS prev_paused
		  FROM sync_runs r JOIN sources s ON s.id = r.source_id
		WINDOW w AS (PARTITION BY r.source_id ORDER BY r.started_at)) x
		WHERE trigger = 'schedule' AND prev_start IS NOT NULL AND prev_status NOT IN ('interrupted', 'paused')
		  AND started_at < prev_start + every`)
	if err != nil {
		return err
	}
	running, err := one(`SELECT count(*) FROM sync_runs WHERE status = 'running'`)
	if err != nil {
		return err
	}
	// Every source goes on syncing to the end, a killed worker's too.
	fresh, err := one(`SELECT count(DISTINCT source_id) FROM sync_runs
		WHERE status = 'succeeded' AND started_at > (SELECT max(started_at) FROM sync_runs) - interval '150 seconds'`)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "soak: %d sources on 1-minute schedules, one serve and two workers, %s\n", sources, duration)
	if killed != "" {
		fmt.Fprintln(w, killed)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "overlapping runs\t%d\n", overlapping)
	fmt.Fprintf(tw, "scheduled runs started early\t%d\n", early)
	fmt.Fprintf(tw, "runs left RUNNING\t%d\n", running)
	fmt.Fprintf(tw, "sources that succeeded in the last 150 s\t%d of %d\n", fresh, sources)
	rows, err := db.Query(`SELECT worker, status, count(*) FROM sync_runs GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var worker, status string
		var n int
		if err := rows.Scan(&worker, &status, &n); err != nil {
			return err
		}
		fmt.Fprintf(tw, "runs on %s, %s\t%d\n", worker, status, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// How long after its due time each scheduled run started.
	var p50, p99, maxLate sql.NullFloat64
	if err := db.QueryRow(`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY late), percentile_cont(0.99) WITHIN GROUP (ORDER BY late), max(late) FROM (
		SELECT extract(epoch FROM r.started_at - (lag(r.started_at) OVER w + s.schedule::interval)) AS late, r.trigger
		  FROM sync_runs r JOIN sources s ON s.id = r.source_id
		WINDOW w AS (PARTITION BY r.source_id ORDER BY r.started_at)) x WHERE trigger = 'schedule' AND late IS NOT NULL`).Scan(&p50, &p99, &maxLate); err != nil {
		return err
	}
	fmt.Fprintf(tw, "scheduled start after due, p50 / p99 / max\t%.2fs / %.2fs / %.2fs\n", p50.Float64, p99.Float64, maxLate.Float64)
	if err := tw.Flush(); err != nil {
		return err
	}
	return nil
}
