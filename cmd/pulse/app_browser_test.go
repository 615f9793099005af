package main_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// findBrowser is Chromium's path; "" when the machine has none (CI
// installs it: .ci/run).
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab is a headless Chromium tab on a pulse serve, which records every
// console error, uncaught exception, failed request, answer of 400 or
// more and request to another host as a problem.
type tab struct {
	ctx  context.Context
	base string

	mu       gosync.Mutex
	problems []string
	// wsNext counts the subscription events received over WebSocket.
	wsNext int
}

func newTab(t testing.TB, base string) *tab {
	t.Helper()
	path := findBrowser()
	if path == "" {
		t.Skip("no Chromium on this machine")
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Flag("headless", true), chromedp.WindowSize(1400, 1000))...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	tb := &tab{ctx: ctx, base: base}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				tb.problems = append(tb.problems, "console error: "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tb.problems = append(tb.problems, "exception: "+msg)
		case *network.EventRequestWillBeSent:
			u := ev.Request.URL
			if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
				tb.problems = append(tb.problems, "request to another host: "+u)
			}
		case *network.EventLoadingFailed:
			if !ev.Canceled {
				tb.problems = append(tb.problems, "request failed: "+ev.ErrorText)
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				tb.problems = append(tb.problems, fmt.Sprintf("%s: %d", ev.Response.URL, ev.Response.Status))
			}
		case *network.EventWebSocketFrameReceived:
			if strings.Contains(string(ev.Response.PayloadData), `"type":"next"`) {
				tb.wsNext++
			}
		}
	}))
	return tb
}

func (tb *tab) do(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		// What the page showed then, for the artefacts.
		body, _ := chromedp.Run(tb.ctx, chromedp.Text("body"))
		tb.shoot(t, "failed")
		t.Fatalf("%v; the page said:\n%s", err, body)
	}
}

func (tb *tab) text(t testing.TB, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 90*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err, sel)
	return strings.TrimSpace(s)
}

// eval runs JavaScript in the page and decodes its JSON-able result, a
// promise's once it settles.
func eval[T any](t testing.TB, tb *tab, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 90*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	require.NoError(t, err, js)
	return v
}

// open goes to one of the app's screens and waits for its data to be drawn.
func (tb *tab) open(t testing.TB, route string) {
	t.Helper()
	tb.do(t, chromedp.Navigate(tb.base+"/app/#/"+route), chromedp.WaitVisible(`main[data-ready="true"]`))
}

// shoot saves a screenshot of the page as name.png in the artefacts folder:
// $PULSE_SCREENSHOTS, or the test's temporary folder.
func (tb *tab) shoot(t testing.TB, name string) {
	t.Helper()
	dir := os.Getenv("PULSE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 90*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

func (tb *tab) requireNoProblems(t testing.TB) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	require.Empty(t, tb.problems)
}

// marks counts the shapes a chart drew: its bars, cells, dots, lines
// and areas.
//
// A chart draws in an effect, after the render that marks the screen's
// data ready, so a busy browser may not have drawn it yet when the screen
// says ready: the count is waited for, for up to 30 s, until it is not 0.
func marks(t testing.TB, tb *tab, chart string) int {
	t.Helper()
	sel := `#` + chart + ` svg g[aria-label] rect, #` + chart + ` svg g[aria-label] circle, #` + chart + ` svg g[aria-label] path`
	return eval[int](t, tb, `new Promise((resolve) => {
		const since = Date.now();
		const look = () => {
			const n = document.querySelectorAll('`+sel+`').length;
			if (n > 0 || Date.now() - since > 30000) resolve(n); else setTimeout(look, 50);
		};
		look();
	})`)
}

func pct(ratio string) string {
	f, _ := strconv.ParseFloat(ratio, 64)
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

// TestAppInABrowser drives the Pulse app in headless Chromium against a
// real pulse serve --demo, as a person would: signs in with the admin
// key, reads the overview (its figures are the API's), filters, orders
// and pages the accounts and exports the page shown as CSV (its rows are
// the API's), opens an account, every report, follows a sync live over
// the WebSocket, signs out; then signs in with a viewer key, which sees
// no admin screen. Any console error, failed request or request leaving
// the server fails it. Screenshots of every screen are saved.
func TestAppInABrowser(t *testing.T) {
	if findBrowser() == "" {
		t.Skip("no Chromium on this machine")
	}
	c := newCLI(t)
	s := startServe(t, c.env, "--demo", "--demo-size", "120")
	banner := s.out.String()[strings.Index(s.out.String(), "Pulse is serving on"):]
	require.Eventually(t, func() bool { return strings.Contains(s.out.String(), "Admin API key") }, time.Minute, 10*time.Millisecond)
	require.Equal(t, "  Pulse app: "+s.url+"/app/", strings.Split(banner, "\n")[1], "the banner offers the app first")
	viewerKey := keyPattern.FindString(c.ok(t, "apikey", "create", "browser viewer", "--role", "viewer"))
	require.NotEmpty(t, viewerKey)

	tb := newTab(t, s.url)
	downloads := t.TempDir()
	tb.do(t, chromedp.Navigate(s.url+"/app"), chromedp.WaitVisible("#signin"))
	tb.do(t, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true),
		})
		return err
	}))

	// A wrong key is refused, naming why.
	tb.do(t, chromedp.SendKeys("#api-key", "pulse_not-a-key"), chromedp.Click(`#signin button[type="submit"]`), chromedp.WaitVisible("#signin .error"))
	require.Contains(t, tb.text(t, "#signin .error"), "not valid")
	tb.mu.Lock()
	tb.problems = nil // the refused sign-in's 401, expected
	tb.mu.Unlock()

	tb.do(t, chromedp.SetValue("#api-key", s.key), chromedp.Click(`#signin button[type="submit"]`), chromedp.WaitVisible(`main[data-ready="true"]`))
	loc := eval[string](t, tb, `location.href`)
	require.NotContains(t, loc, s.key, "the key is never in the URL")
	require.Equal(t, s.key, eval[string](t, tb, `sessionStorage.getItem('pulse.apiKey')`))

	// Overview: the figures are the API's.
	today := time.Now().UTC()
	from, to := today.AddDate(0, 0, -90).Format(time.DateOnly), today.Format(time.DateOnly)
	api := s.post(t, `query($from: Date!, $to: Date!) {
	  healthSummary { all { accounts red yellow green unscored } }
	  retention(from: $from, to: $to) { nrr grr logoRetention }
	  revenueFromExisting(from: $from, to: $to) { share }
	}`, map[string]any{"from": from, "to": to})["data"].(map[string]any)
	all := api["healthSummary"].(map[string]any)["all"].(map[string]any)
	ret := api["retention"].(map[string]any)
	require.Equal(t, fmt.Sprint(all["accounts"]), strings.Fields(tb.text(t, "#tile-accounts .tile-value"))[0])
	require.Equal(t, pct(ret["nrr"].(string)), tb.text(t, "#tile-nrr .tile-value"))
	require.Equal(t, pct(ret["grr"].(string)), tb.text(t, "#tile-grr .tile-value"))
	require.Equal(t, pct(ret["logoRetention"].(string)), tb.text(t, "#tile-logo .tile-value"))
	require.Equal(t, pct(api["revenueFromExisting"].(map[string]any)["share"].(string)), tb.text(t, "#tile-existing .tile-value"))
	drawn := eval[[]string](t, tb, `[...document.querySelectorAll('#chart-bands svg g[aria-label="text"] text')].map(e => e.textContent)`)
	require.Equal(t, []string{fmt.Sprint(all["red"]), fmt.Sprint(all["yellow"]), fmt.Sprint(all["green"]), fmt.Sprint(all["unscored"])}, drawn, "the band chart draws the API's counts")
	for _, chart := range []string{"chart-bands", "chart-mrr-bands", "chart-waterfall", "chart-mrr-trend"} {
		require.Positive(t, marks(t, tb, chart), chart+" drew from data")
	}
	require.Equal(t, 7, eval[int](t, tb, `document.querySelectorAll('#chart-waterfall svg g[aria-label="bar"] rect').length`), "start, five movements, end")
	tb.shoot(t, "overview")

	// The query a screen ran is shown, and GraphiQL is offered.
	tb.do(t, chromedp.Click(`.screen-tools button`), chromedp.WaitVisible(".query-panel"))
	require.Contains(t, tb.text(t, ".query-panel"), "healthSummary")
	// "Open in GraphiQL" opens a new tab, handing it the operation
	// through the session storage the browser copies to it with the key;
	// GraphiQL starts with it, and neither is ever in a URL.
	opened := chromedp.WaitNewTarget(tb.ctx, func(i *target.Info) bool { return i.Type == "page" })
	tb.do(t, chromedp.Click(`.query-panel .query-head button`))
	select {
	case id := <-opened:
		// Closed, so that this tab is in front again (a background
		// tab takes no screenshot).
		tb.do(t, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, target.CloseTarget, target.CloseTargetParams{TargetID: id})
			return err
		}))
	case <-time.After(time.Minute):
		t.Fatal("Open in GraphiQL opened no tab")
	}
	handed := eval[string](t, tb, `sessionStorage.getItem('pulse.graphiql.open') || ''`)
	require.Contains(t, handed, "query OverviewHealth")
	tb.do(t, chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(".graphiql-container"))
	_ = eval[bool](t, tb, `new Promise((ok) => { const i = setInterval(() => { const e = document.querySelector('.graphiql-query-editor'); if (e && e.textContent.includes('query OverviewHealth')) { clearInterval(i); ok(true); } }, 50); })`)
	require.Equal(t, "key set for this tab", eval[string](t, tb, `document.getElementById('key-state').textContent`))
	require.Empty(t, eval[string](t, tb, `sessionStorage.getItem('pulse.graphiql.open') || ''`), "GraphiQL takes the operation once")

	// Accounts: filter tier C, order by MRR descending, page on, export.
	tb.open(t, "accounts")
	list := `query($after: String) { accounts(first: 25, after: $after, filter: {tier: [C]}, orderBy: [{field: MRR, direction: DESC}]) {
	  totalCount pageInfo { endCursor hasNextPage } edges { node { id name tier mrr { amount } } } } }`
	page1 := s.post(t, list, nil)["data"].(map[string]any)["accounts"].(map[string]any)
	total := fmt.Sprint(page1["totalCount"])
	tb.do(t, chromedp.Click(`input[name="tier"][value="C"]`), chromedp.WaitVisible(`#total[data-total="`+total+`"]`))
	tb.do(t, chromedp.SetValue("#f-order", "MRR"), chromedp.Func(dispatchChange("#f-order")),
		chromedp.SetValue("#f-direction", "DESC"), chromedp.Func(dispatchChange("#f-direction")))
	first := page1["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
	tb.do(t, chromedp.WaitVisible(`#accounts tbody tr:first-child[data-id="`+first["id"].(string)+`"]`))
	require.True(t, page1["pageInfo"].(map[string]any)["hasNextPage"].(bool), "the demo has more than a page of tier C accounts")
	page2 := s.post(t, list, map[string]any{"after": page1["pageInfo"].(map[string]any)["endCursor"]})["data"].(map[string]any)["accounts"].(map[string]any)
	second := page2["edges"].([]any)
	tb.do(t, chromedp.Click("#next"), chromedp.WaitVisible(`#accounts tbody tr:first-child[data-id="`+second[0].(map[string]any)["node"].(map[string]any)["id"].(string)+`"]`))
	tb.shoot(t, "accounts")
	tb.do(t, chromedp.Click("#export"))
	var saved string
	require.Eventually(t, func() bool {
		entries, _ := os.ReadDir(downloads)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(downloads, e.Name()))
			// Whole once it holds the header and a line per account.
			if err == nil && !strings.HasSuffix(e.Name(), ".crdownload") && strings.Count(string(b), "\n") >= len(second)+1 {
				saved = filepath.Join(downloads, e.Name())
				return true
			}
		}
		return false
	}, time.Minute, 20*time.Millisecond, "the CSV was downloaded")
	f, err := os.Open(saved)
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	require.Equal(t, []string{"Name", "Domain", "Tier", "Segment", "Lifecycle", "Health band", "Health score", "MRR", "Currency", "Renewal date", "Last touch", "CS owner"}, rows[0])
	require.Len(t, rows[1:], len(second), "the CSV holds the page shown")
	for i, e := range second {
		n := e.(map[string]any)["node"].(map[string]any)
		require.Equal(t, n["name"], rows[i+1][0])
		require.Equal(t, "C", rows[i+1][2])
		require.Equal(t, n["mrr"].(map[string]any)["amount"], rows[i+1][7], "the MRR as the API gives it")
	}

	// An account page, from the list.
	name := second[0].(map[string]any)["node"].(map[string]any)["name"].(string)
	tb.do(t, chromedp.Click(`#accounts tbody tr:first-child a`), chromedp.WaitVisible(`main[data-ready="true"] #chart-mrr-history`))
	require.Equal(t, name, tb.text(t, "#screen h1"))
	require.Positive(t, marks(t, tb, "chart-mrr-history"))
	require.Positive(t, marks(t, tb, "chart-score-history"))
	require.Positive(t, eval[int](t, tb, `document.querySelectorAll('#timeline tbody tr').length`), "a timeline")
	require.Contains(t, tb.text(t, "#refs"), "demo", "where the account came from")
	tb.shoot(t, "account")

	// Every report draws.
	for _, r := range []struct{ route, chart string }{
		{"coverage", "chart-coverage"},
		{"handoffs", "chart-handoffs"},
		{"renewals", "chart-renewals"},
		{"cohorts", "chart-cohorts"},
		{"backtest", "chart-backtest"},
		{"sources", "chart-runs-demo"},
	} {
		tb.open(t, r.route)
		require.Positive(t, marks(t, tb, r.chart), r.route+" drew from data")
		tb.shoot(t, r.route)
	}
	// NPS: the demo's responses over a year, drawn when the API has any.
	tb.open(t, "surveys")
	now := time.Now().UTC()
	nps := s.post(t, `query($from: Time!, $to: Time!) { nps(from: $from, to: $to) { responses } }`, map[string]any{
		"from": now.AddDate(0, 0, -365).Format(time.DateOnly) + "T00:00:00Z", "to": now.Format(time.DateOnly) + "T00:00:00Z",
	})["data"].(map[string]any)["nps"].(map[string]any)
	tb.do(t, chromedp.SetValue("#f-period", "365"), chromedp.Func(dispatchChange("#f-period")))
	// Drawn once the year's count, the API's, shows.
	_ = eval[bool](t, tb, `new Promise((ok) => { const i = setInterval(() => { const e = document.querySelector('main[data-ready="true"] #tile-nps .tile-hint'); if (e && e.textContent === `+strconv.Quote(fmt.Sprint(nps["responses"])+" responses")+`) { clearInterval(i); ok(true); } }, 50); })`)
	if nps["responses"].(float64) > 0 {
		require.Positive(t, marks(t, tb, "chart-nps-mix"), "surveys drew from data")
	}
	tb.shoot(t, "surveys")
	tb.open(t, "pressure")
	require.NotEmpty(t, tb.text(t, "#tile-saturated .tile-value"))
	tb.shoot(t, "pressure")

	// Sources, live: a sync started here is followed over the
	// WebSocket, without reloading, to its end.
	tb.open(t, "sources")
	tb.do(t, chromedp.WaitVisible(`.live-live`))
	before := eval[string](t, tb, `document.querySelector('.source .latest strong').dataset.run`)
	tb.do(t, chromedp.Click(".source .run"))
	_ = eval[bool](t, tb, `new Promise((ok) => { const i = setInterval(() => { const s = document.querySelector('.source .latest strong'); if (s.dataset.run !== `+strconv.Quote(before)+` && s.textContent === 'succeeded') { clearInterval(i); ok(true); } }, 50); })`)
	tb.mu.Lock()
	events := tb.wsNext
	tb.mu.Unlock()
	require.Positive(t, events, "the run's changes came over the subscription")
	tb.shoot(t, "sources-live")

	// The admin screen, then sign out.
	tb.open(t, "admin")
	require.Contains(t, tb.text(t, "#keys"), "browser viewer")
	tb.do(t, chromedp.Click("#signout"), chromedp.WaitVisible("#signin"))
	require.Empty(t, eval[string](t, tb, `sessionStorage.getItem('pulse.apiKey') || ''`), "signing out forgets the key")

	// A viewer key sees no admin screen, and cannot start a sync.
	tb.do(t, chromedp.SendKeys("#api-key", viewerKey), chromedp.Click(`#signin button[type="submit"]`), chromedp.WaitVisible(`main[data-ready="true"]`))
	require.Zero(t, eval[int](t, tb, `document.querySelectorAll('nav a[href="#/admin"]').length`))
	tb.open(t, "admin")
	require.Equal(t, "Not found", tb.text(t, "#screen h1"))
	tb.open(t, "sources")
	require.Zero(t, eval[int](t, tb, `document.querySelectorAll('.source .run').length`))
	tb.shoot(t, "viewer-sources")
	tb.requireNoProblems(t)
}

func ptr[T any](v T) *T { return &v }

// dispatchChange fires the change event a person's choice would, after
// SetValue set a select's value.
func dispatchChange(sel string) func(context.Context, *chromedp.Target) error {
	return func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`).dispatchEvent(new Event('change', {bubbles: true}))`))
		return err
	}
}

// BenchmarkAppPages times each main page of the app in headless Chromium,
// from navigation to its data drawn (main[data-ready]), on a demo of
// $PULSE_BENCH_ACCOUNTS accounts (500 by default), beside two peers
// measured in the same run: the time the page's own GraphQL requests took
// on the server's side of the wire (the Resource Timing of its /query
// requests, which run one after the other), and GraphiQL's page load.
// It prints a table of medians with the ratios:
//
//	go test ./cmd/pulse/ -run '^$' -bench BenchmarkAppPages -benchtime 5x
func BenchmarkAppPages(b *testing.B) {
	if findBrowser() == "" {
		b.Skip("no Chromium on this machine")
	}
	size := 500
	if v := os.Getenv("PULSE_BENCH_ACCOUNTS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "PULSE_BENCH_ACCOUNTS")
		size = n
	}
	c := newCLI(b)
	s := startServe(b, c.env, "--demo", "--demo-size", strconv.Itoa(size))
	body, _ := json.Marshal(map[string]string{"query": `{ accounts(first: 1, orderBy: {field: MRR, direction: DESC}) { edges { node { id } } } }`})
	resp, err := s.send(body)
	require.NoError(b, err)
	var top struct {
		Data struct {
			Accounts struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
	}
	require.NoError(b, json.NewDecoder(resp.Body).Decode(&top))
	resp.Body.Close()
	require.NotEmpty(b, top.Data.Accounts.Edges)

	tb := newTab(b, s.url)
	keyJSON, _ := json.Marshal(s.key)
	tb.do(b, chromedp.Navigate(s.url+"/app/"))
	_ = eval[bool](b, tb, `sessionStorage.setItem('pulse.apiKey', `+string(keyJSON)+`), true`)
	pages := []struct{ name, route string }{
		{"overview", "overview"},
		{"accounts", "accounts"},
		{"account page", "accounts/" + top.Data.Accounts.Edges[0].Node.ID},
	}
	load := func(url, ready string) time.Duration {
		tb.do(b, chromedp.Navigate("about:blank"))
		start := time.Now()
		tb.do(b, chromedp.Navigate(url), chromedp.WaitVisible(ready))
		return time.Since(start)
	}
	render := make([][]time.Duration, len(pages))
	api := make([][]time.Duration, len(pages))
	var graphiql []time.Duration
	b.ResetTimer()
	for range b.N {
		for i, p := range pages {
			render[i] = append(render[i], load(s.url+"/app/#/"+p.route, `main[data-ready="true"]`))
			ms := eval[float64](b, tb, `performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/query')).reduce((sum, e) => sum + e.duration, 0)`)
			api[i] = append(api[i], time.Duration(ms*float64(time.Millisecond)))
		}
		graphiql = append(graphiql, load(s.url+"/", ".graphiql-container"))
	}
	b.StopTimer()
	tb.requireNoProblems(b)
	peer := median(graphiql)
	fmt.Printf("\nPulse app pages, %d demo accounts, median of %d loads (headless Chromium)\n", size, b.N)
	fmt.Printf("%-14s %12s %14s %12s %16s\n", "page", "data drawn", "its GraphQL", "drawn/API", "drawn/GraphiQL")
	for i, p := range pages {
		r, a := median(render[i]), median(api[i])
		fmt.Printf("%-14s %12s %14s %11.1fx %15.1fx\n", p.name, r.Round(time.Millisecond), a.Round(time.Millisecond), float64(r)/float64(a), float64(r)/float64(peer))
		b.ReportMetric(float64(r.Milliseconds()), strings.ReplaceAll(p.name, " ", "-")+"-ms")
	}
	fmt.Printf("%-14s %12s\n", "GraphiQL load", peer.Round(time.Millisecond))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
