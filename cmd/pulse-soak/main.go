// Command pulse-soak holds one pulse serve under a steady mixed load for a
// while and tells whether it stays as fast at the end as at the start: N
// clients, each with a viewer key of its own, mix reads (pages of
// accounts, an account's page) and reports (healthSummary, retention,
// coverage, mrrMovements, nps, handoffGaps), while one admin client syncs
// the demo source over and over. It prints p50 and p99 per minute and the
// errors, then compares the last minute's p99 with the first's: the target
// is within 1.5× and no error. It exits 1 when the target is missed.
//
// It starts its own serve over a demo database:
//
//	go build -o /tmp/pulse ./cmd/pulse
//	createdb soak
//	go run ./cmd/pulse-soak -pulse /tmp/pulse -database-url postgres:///soak -demo-size 3000
//
// or points at a running one with -url and -key (an admin key). It is a
// program, not a test: go test never runs it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "a running pulse serve, such as http://127.0.0.1:8080; empty starts one with -pulse")
	flag.StringVar(&o.key, "key", "", "an admin API key of the serve at -url")
	flag.StringVar(&o.pulse, "pulse", "pulse", "the pulse binary to start, without -url")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "the database of the serve to start")
	flag.StringVar(&o.dataDir, "data-dir", os.Getenv("PULSE_DATA_DIR"), "the data folder of the serve to start, whose key opens the demo source's secrets; empty makes a new one")
	flag.IntVar(&o.demoSize, "demo-size", 3000, "demo accounts to load into a database that has none")
	flag.IntVar(&o.clients, "clients", 8, "clients reading and asking for reports")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to run")
	flag.DurationVar(&o.think, "think", 50*time.Millisecond, "pause of each client between requests")
	flag.Float64Var(&o.reports, "reports", 0.35, "share of requests that are reports")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ok, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulse-soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

type options struct {
	url, key, pulse, databaseURL string
	dataDir                      string
	demoSize, clients            int
	duration, think              time.Duration
	reports                      float64
}

func run(ctx context.Context, o options, out io.Writer) (bool, error) {
	if o.url == "" {
		url, key, stop, err := startServe(ctx, o)
		if err != nil {
			return false, err
		}
		defer stop()
		o.url, o.key = url, key
	}
	admin := &client{http: &http.Client{Timeout: time.Minute}, url: o.url, key: o.key}
	var data struct {
		Sources []struct{ ID, Name, Kind string }
	}
	if err := admin.do(ctx, `{ sources { id name kind } }`, nil, &data); err != nil {
		return false, fmt.Errorf("list sources: %w", err)
	}
	var source string
	for _, s := range data.Sources {
		if s.Kind == "demo" {
			source = s.ID
		}
	}
	if source == "" {
		return false, errors.New("the serve has no demo source to sync: start it with --demo")
	}
	ids, err := accountIDs(ctx, admin)
	if err != nil {
		return false, err
	}
	run := fmt.Sprint(time.Now().Unix())
	var clients []*client
	for i := range o.clients {
		var created struct {
			CreateApiKey struct{ Secret string }
		}
		err := admin.do(ctx, `mutation($n: String!) { createApiKey(name: $n, role: VIEWER) { secret } }`,
			map[string]any{"n": fmt.Sprintf("soak %s %d", run, i)}, &created)
		if err != nil {
			return false, fmt.Errorf("create a viewer key: %w", err)
		}
		clients = append(clients, &client{http: admin.http, url: o.url, key: created.CreateApiKey.Secret})
	}

	rec := newRecorder(time.Now())
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	var syncs, syncErrors atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		syncLoop(ctx, admin, source, &syncs, &syncErrors, rec)
	}()
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			for ctx.Err() == nil {
				name, q, vars := pick(rng, o.reports, ids)
				start := time.Now()
				err := c.do(ctx, q, vars, nil)
				if ctx.Err() != nil {
					return
				}
				rec.add(start, time.Since(start), name, err)
				select {
				case <-ctx.Done():
				case <-time.After(o.think):
				}
			}
		}()
	}
	wg.Wait()
	return rec.report(out, syncs.Load(), syncErrors.Load()), nil
}

// startServe runs pulse serve --demo on the database and returns its URL
// and admin key.
func startServe(ctx context.Context, o options) (string, string, func(), error) {
	if o.databaseURL == "" {
		return "", "", nil, errors.New("give -url, or -database-url for a serve to start")
	}
	dataDir, temp := o.dataDir, o.dataDir == ""
	if temp {
		var err error
		if dataDir, err = os.MkdirTemp("", "pulse-soak-"); err != nil {
			return "", "", nil, err
		}
	}
	cmd := exec.CommandContext(ctx, o.pulse, "serve", "--demo", "--demo-size", fmt.Sprint(o.demoSize),
		"--addr", "127.0.0.1:0", "--database-url", o.databaseURL,
		// One key per client, paced by -think: the soak measures the
		// server, not the rate limit.
		"--rate-limit", "100000", "--rate-burst", "10000")
	cmd.Env = append(os.Environ(), "PULSE_DATA_DIR="+dataDir, "PULSE_PLUGIN_DIR=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", nil, err
	}
	logs, err := os.CreateTemp("", "pulse-soak-serve-*.log")
	if err != nil {
		return "", "", nil, err
	}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		return "", "", nil, fmt.Errorf("start %s: %w", o.pulse, err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		logs.Close()
		if temp {
			os.RemoveAll(dataDir)
		}
	}
	serving := regexp.MustCompile(`serving on (http://\S+)`)
	adminKey := regexp.MustCompile(`Admin API key: (\S+)`)
	var url string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := serving.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
		if m := adminKey.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			fmt.Fprintf(os.Stderr, "serving on %s (log: %s)\n", url, logs.Name())
			return url, m[1], stop, nil
		}
	}
	stop()
	return "", "", nil, fmt.Errorf("pulse serve ended before it served; its log: %s", logs.Name())
}

// accountIDs are the ids of a few pages of accounts, for account pages.
func accountIDs(ctx context.Context, c *client) ([]string, error) {
	var data struct {
		Accounts struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	if err := c.do(ctx, `{ accounts(first: 100) { edges { node { id } } } }`, nil, &data); err != nil {
		return nil, fmt.Errorf("read account ids: %w", err)
	}
	var ids []string
	for _, e := range data.Accounts.Edges {
		ids = append(ids, e.Node.ID)
	}
	if len(ids) == 0 {
		return nil, errors.New("the serve has no accounts")
	}
	return ids, nil
}

// The requests a client mixes.
const (
	accountsPage = `query($after: String) { accounts(first: 50, after: $after) {
		totalCount pageInfo { endCursor } edges { node { id name tier lifecycle renewalDate mrr { amount currency } } } } }`
	accountPage = `query($id: ID!) { account(id: $id) { id name segment industry renewalDate
		team { role person { name } } mrr { amount currency }
		timeline(first: 10) { edges { node { __typename } } }
		deals(first: 5) { edges { node { name } } } } }`
	healthSummary = `{ healthSummary { all { green yellow red } byTier { tier counts { green yellow red } } } }`
	retention     = `query($from: Date!, $to: Date!) { retention(from: $from, to: $to) { startMrr endMrr newMrr } }`
	mrrMovements  = `query($from: Date!, $to: Date!) { mrrMovements(from: $from, to: $to) { rows { newMrr } } }`
	coverage      = `{ coverage(team: CS) { bookSize touched ratio } }`
	nps           = `{ nps { score responses } }`
	handoffGaps   = `{ handoffGaps { customersWithoutCsOwner { id } } }`
)

// pick chooses the next request: a report with probability reports, else
// a page of accounts or an account's page.
func pick(rng *rand.Rand, reports float64, ids []string) (string, string, map[string]any) {
	to := time.Now().UTC().Format(time.DateOnly)
	from := time.Now().UTC().AddDate(-1, 0, 0).Format(time.DateOnly)
	if rng.Float64() < reports {
		switch rng.IntN(6) {
		case 0:
			return "healthSummary", healthSummary, nil
		case 1:
			return "retention", retention, map[string]any{"from": from, "to": to}
		case 2:
			return "mrrMovements", mrrMovements, map[string]any{"from": from, "to": to}
		case 3:
			return "coverage", coverage, nil
		case 4:
			return "nps", nps, nil
		default:
			return "handoffGaps", handoffGaps, nil
		}
	}
	if rng.IntN(2) == 0 {
		return "accounts", accountsPage, nil
	}
	return "account", accountPage, map[string]any{"id": ids[rng.IntN(len(ids))]}
}

// syncLoop syncs the source over and over, each run once the last ended.
func syncLoop(ctx context.Context, admin *client, source string, syncs, failed *atomic.Int64, rec *recorder) {
	for ctx.Err() == nil {
		var started struct{ RunSync struct{ ID string } }
		err := admin.do(ctx, `mutation($s: ID!) { runSync(sourceId: $s) { id } }`, map[string]any{"s": source}, &started)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failed.Add(1)
			rec.add(time.Now(), 0, "runSync", err)
			continue
		}
		for ctx.Err() == nil {
			var run struct {
				Node struct{ Status, Error string }
			}
			err := admin.do(ctx, `query($id: ID!) { node(id: $id) { ... on SyncRun { status error } } }`, map[string]any{"id": started.RunSync.ID}, &run)
			if ctx.Err() != nil {
				return
			}
			if err != nil || run.Node.Status == "FAILED" {
				failed.Add(1)
				rec.add(time.Now(), 0, "sync", fmt.Errorf("sync run: %v %s", err, run.Node.Error))
				break
			}
			if run.Node.Status != "RUNNING" {
				syncs.Add(1)
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// client posts GraphQL requests with one key.
type client struct {
	http     *http.Client
	url, key string
}

// do posts q and decodes its data into out; a status other than 200 or
// any error in the answer is an error.
func (c *client) do(ctx context.Context, q string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/query", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var answer struct {
		Data   json.RawMessage
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(b, &answer); err != nil {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
	}
	if len(answer.Errors) > 0 {
		return fmt.Errorf("status %d: %s: %s", resp.StatusCode, answer.Errors[0].Extensions.Code, answer.Errors[0].Message)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if out != nil {
		return json.Unmarshal(answer.Data, out)
	}
	return nil
}

// recorder keeps each minute's latencies and errors.
type recorder struct {
	start   time.Time
	mu      sync.Mutex
	minutes []*minute
}

type minute struct {
	latencies []time.Duration
	errors    int
	// firstErrors are a few of the minute's errors, to show.
	firstErrors []string
}

func newRecorder(start time.Time) *recorder { return &recorder{start: start} }

// add records a request that started at start and took d; a request with
// no duration (a sync's outcome) counts only its error.
func (r *recorder) add(start time.Time, d time.Duration, name string, err error) {
	i := int(start.Sub(r.start) / time.Minute)
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.minutes) <= i {
		r.minutes = append(r.minutes, &minute{})
	}
	m := r.minutes[i]
	if err != nil {
		m.errors++
		if len(m.firstErrors) < 3 {
			m.firstErrors = append(m.firstErrors, name+": "+err.Error())
		}
		return
	}
	if d > 0 {
		m.latencies = append(m.latencies, d)
	}
}

// report prints the table and the verdict, and reports whether the
// target was met.
func (r *recorder) report(out io.Writer, syncs, syncErrors int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(out, "%-7s %9s %9s %9s %7s\n", "minute", "requests", "p50 ms", "p99 ms", "errors")
	total := 0
	var p99s []time.Duration
	for i, m := range r.minutes {
		slices.Sort(m.latencies)
		p50, p99 := quantile(m.latencies, 0.50), quantile(m.latencies, 0.99)
		fmt.Fprintf(out, "%-7d %9d %9.1f %9.1f %7d\n", i+1, len(m.latencies), ms(p50), ms(p99), m.errors)
		for _, e := range m.firstErrors {
			fmt.Fprintf(out, "        %s\n", e)
		}
		total += m.errors
		// A last minute cut short by the duration has too few requests to
		// compare.
		if len(m.latencies) > 0 {
			p99s = append(p99s, p99)
		}
	}
	fmt.Fprintf(out, "syncs: %d completed, %d failed\n", syncs, syncErrors)
	if len(p99s) < 2 {
		fmt.Fprintln(out, "too short to compare a first and a last minute")
		return false
	}
	first, last := p99s[0], p99s[len(p99s)-1]
	ratio := float64(last) / float64(first)
	ok := ratio <= 1.5 && total == 0
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(out, "last-minute p99 %.1f ms vs first-minute p99 %.1f ms: %.2f× (target ≤ 1.5×); errors %d (target 0): %s\n",
		ms(last), ms(first), ratio, total, verdict)
	return ok
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(int(float64(len(sorted))*q), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
