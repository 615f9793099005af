package graph_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/pulseproject/pulse/store"
)

// BenchmarkReports asks the handler for every RevOps report over the
// database named by PULSE_BENCH_DATABASE_URL (the 100,000-account demo set,
// see benchDB), each over the last year of its data, as a dashboard would.
// Each sub-benchmark reports its median and 99th percentile.
func BenchmarkReports(b *testing.B) {
	h := benchHandler(b)
	end := dataEnd(b)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	stamp := func(t time.Time) string { return t.Format(time.RFC3339) }
	yearAgo := end.AddDate(-1, 0, 0)
	from, to := day(yearAgo), day(end)
	reports := []struct{ name, query string }{
		{"retention", fmt.Sprintf(`{ retention(from: %q, to: %q) { startMrr endMrr nrr grr logoRetention } }`, from, to)},
		{"retention by owner", fmt.Sprintf(`{ retention(from: %q, to: %q, groupBy: OWNER) { nrr groups { key nrr } } }`, from, to)},
		{"retention tier A", fmt.Sprintf(`{ retention(from: %q, to: %q, tier: A) { nrr grr } }`, from, to)},
		{"mrrMovements", fmt.Sprintf(`{ mrrMovements(from: %q, to: %q) { rows { newMrr churnMrr } } }`, from, to)},
		{"monthlyChurn", fmt.Sprintf(`{ monthlyChurn(from: %q, to: %q) { meanLogoChurnRate meanRevenueChurnRate } }`, from, to)},
		{"cohorts logos", fmt.Sprintf(`{ cohorts(from: %q, to: %q, measure: LOGOS) { cohorts { size } } }`, from, to)},
		{"cohorts mrr", fmt.Sprintf(`{ cohorts(from: %q, to: %q, measure: MRR) { cohorts { size } } }`, from, to)},
		{"revenueFromExisting", fmt.Sprintf(`{ revenueFromExisting(from: %q, to: %q) { share } }`, from, to)},
		{"coverage cs 30d", fmt.Sprintf(`{ coverage(team: CS, days: 30, asOf: %q) { bookSize touched ratio owners { bookSize touched } } }`, stamp(end))},
		{"coverage cs 30d one book", fmt.Sprintf(`{ coverage(team: CS, days: 30, ownerId: %q, asOf: %q) { owners { owner { name } ratio untouched { tier accounts { account { name renewalDate } lastTouchAt } } } } }`, biggestBook(b), stamp(end))},
		{"coverage cs 30d every book", fmt.Sprintf(`{ coverage(team: CS, days: 30, asOf: %q) { owners { owner { name } untouched { tier accounts { account { name renewalDate } } } } } }`, stamp(end))},
		{"contactPressure day", fmt.Sprintf(`{ contactPressure(from: %q, to: %q, window: DAY) { contacts { touches byTeam { team } } accounts { saturatedContacts touches } } }`, stamp(end.AddDate(0, 0, -30)), stamp(end))},
		{"contactPressure week", fmt.Sprintf(`{ contactPressure(from: %q, to: %q, window: WEEK) { contacts { touches } } }`, stamp(end.AddDate(0, 0, -90)), stamp(end))},
		{"handoffGaps", fmt.Sprintf(`{ handoffGaps(asOf: %q) { dealsWithoutOnboarding { closedAt firstOnboardingTouchAt } customersWithoutCsOwner { name mrr { amount } } customersNotTouchedByCs { account { name } handoffAt handoffBasis lastCsOwnerTouchAt csOwners { name } } } }`, stamp(end))},
		{"nps", fmt.Sprintf(`{ nps(from: %q, to: %q) { score responses byTouchpoint { score } } }`, stamp(yearAgo), stamp(end))},
		{"csat", fmt.Sprintf(`{ csat(from: %q, to: %q) { score rated bySource { score } } }`, stamp(yearAgo), stamp(end))},
		{"renewals 90d", fmt.Sprintf(`{ renewals(withinDays: 90, asOf: %q, first: 1000) { daysToRenewal health { band } } }`, stamp(end))},
		{"healthBacktest", fmt.Sprintf(`{ healthBacktest(from: %q, to: %q, leadDays: 30) { cohort churned { account { name } } precision recall lift } }`, stamp(yearAgo), stamp(end))},
	}
	for _, r := range reports {
		b.Run(r.name, func(b *testing.B) {
			run(b, h, r.query, nil)
			timed(b, func() { run(b, h, r.query, nil) })
		})
	}
	// The revenue reports keep the book they answer from until a sync
	// changes its data: the first report after a change builds it anew.
	// A statement that changes nothing still counts as a change. The
	// engagement reports and the back-test read the tables, whose
	// triggers keep account_latest_touches as a sync writes: here 1,000
	// accounts' activities, rewritten unchanged.
	db, err := store.Open(context.Background(), os.Getenv(benchDB))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close(db)
	const revenueWrite = "UPDATE fx_rates SET rate = rate WHERE false"
	const activityWrite = `UPDATE activities SET duration_seconds = duration_seconds
		WHERE account_id IN (SELECT id FROM accounts ORDER BY id LIMIT 1000 OFFSET ?)`
	afterSync := map[string][]string{"coverage cs 30d": {activityWrite}, "handoffGaps": {activityWrite},
		"healthBacktest": {revenueWrite, activityWrite}}
	for _, r := range reports[:8] {
		afterSync[r.name] = []string{revenueWrite}
	}
	for _, r := range reports {
		writes := afterSync[r.name]
		if writes == nil {
			continue
		}
		b.Run(r.name+" after a sync", func(b *testing.B) {
			durations := make([]time.Duration, b.N)
			for i := range b.N {
				for _, w := range writes {
					var args []any
					if w == activityWrite {
						args = append(args, (i*1000)%90000)
					}
					if err := db.Exec(w, args...).Error; err != nil {
						b.Fatal(err)
					}
				}
				start := time.Now()
				run(b, h, r.query, nil)
				durations[i] = time.Since(start)
			}
			slices.Sort(durations)
			b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(durations[min(len(durations)-1, len(durations)*99/100)].Microseconds())/1000, "ms-p99")
		})
	}
}

// dataEnd is the instant of the last activity of the benchmark database:
// the demo set's "now".
func dataEnd(b *testing.B) time.Time {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv(benchDB))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close(db)
	var end time.Time
	if err := db.Raw("SELECT max(occurred_at) FROM activities WHERE occurred_at <= now()").Scan(&end).Error; err != nil {
		b.Fatal(err)
	}
	return end
}

// biggestBook is the CS owner with the most accounts in the benchmark
// database.
func biggestBook(b *testing.B) string {
	db, err := store.Open(context.Background(), os.Getenv(benchDB))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close(db)
	var owner string
	err = db.Raw(`SELECT person_id FROM account_team WHERE role = 'cs' AND deleted_at IS NULL
		GROUP BY person_id ORDER BY count(*) DESC, person_id LIMIT 1`).Scan(&owner).Error
	if err != nil {
		b.Fatal(err)
	}
	return owner
}
