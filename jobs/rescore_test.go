package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/jobs"
	"github.com/pulseproject/pulse/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// migrated opens a fresh database with Pulse's and River's tables.
func migrated(t *testing.T) (*gorm.DB, string) {
	t.Helper()
	ctx := context.Background()
	url := testdb.New(t)
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	return db, url
}

// seed writes n accounts of three segments, each with activities, a
// ticket and a survey response, which mark them all.
func seed(t *testing.T, db *gorm.DB, n int) {
	t.Helper()
	segments := []string{"enterprise", "smb", ""}
	var accounts []domain.Account
	var acts []domain.Activity
	var tickets []domain.Ticket
	var surveys []domain.SurveyResponse
	now := time.Now().UTC()
	for i := range n {
		a := uuid.New()
		accounts = append(accounts, domain.Account{ID: a, Name: fmt.Sprintf("acct-%04d", i), Segment: segments[i%3]})
		for j := range i % 5 {
			acts = append(acts, domain.Activity{ID: uuid.New(), AccountID: a, Team: domain.Teams[j%len(domain.Teams)], Kind: "call",
				Direction: "outbound", OccurredAt: now.AddDate(0, 0, -(i%60)-j*7), Provenance: domain.Provenance{ExternalID: fmt.Sprintf("a%d-%d", i, j)}})
		}
		if i%4 == 0 {
			tickets = append(tickets, domain.Ticket{ID: uuid.New(), AccountID: a, Priority: "urgent", Status: "open",
				OpenedAt: now.AddDate(0, 0, -i%20), Provenance: domain.Provenance{ExternalID: fmt.Sprintf("t%d", i)}})
		}
		if i%3 == 0 {
			surveys = append(surveys, domain.SurveyResponse{ID: uuid.New(), AccountID: a, Kind: "nps", Score: i % 11,
				RespondedAt: now.AddDate(0, 0, -i%30), Provenance: domain.Provenance{ExternalID: fmt.Sprintf("s%d", i)}})
		}
	}
	require.NoError(t, db.CreateInBatches(accounts, 500).Error)
	require.NoError(t, db.CreateInBatches(acts, 500).Error)
	require.NoError(t, db.CreateInBatches(tickets, 500).Error)
	require.NoError(t, db.CreateInBatches(surveys, 500).Error)
}

// scores is each account's latest score and band, by name.
func scores(t *testing.T, db *gorm.DB) map[string]string {
	t.Helper()
	var rows []struct{ Name, Score, Band string }
	require.NoError(t, db.Raw(`SELECT DISTINCT ON (a.name) a.name, coalesce(h.score::text, '-') AS score, h.band
		FROM account_health h JOIN accounts a ON a.id = h.account_id ORDER BY a.name, h.day DESC`).Scan(&rows).Error)
	out := map[string]string{}
	for _, r := range rows {
		out[r.Name] = r.Score + " " + r.Band
	}
	return out
}

// startWorkers runs a River client working the rescore queue with
// workers goroutines, as pulse serve and pulse worker do.
func startWorkers(t *testing.T, db *gorm.DB, url string, cfg jobs.RescoreConfig, workers int, periodic ...*river.PeriodicJob) *river.Client[pgx.Tx] {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	ws := river.NewWorkers()
	river.AddWorker(ws, jobs.NewRescoreWorker(db, cfg))
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		Workers:      ws,
		PeriodicJobs: periodic,
		// The test polls for what it awaits; River need not wait for its
		// notifications to reach it.
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		require.NoError(t, client.Stop(stop))
	})
	return client
}

// settled waits until no mark is left and no rescore job is queued or
// running.
func settled(t *testing.T, db *gorm.DB) {
	t.Helper()
	for range 1200 {
		var marks, queued int
		require.NoError(t, db.Raw("SELECT count(*) FROM rescore_marks").Scan(&marks).Error)
		require.NoError(t, db.Raw(`SELECT count(*) FROM river_job WHERE kind = 'rescore'
			AND state IN ('available', 'pending', 'running', 'scheduled', 'retryable')`).Scan(&queued).Error)
		if marks == 0 && queued == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the rescore jobs never settled")
}

// TestRescoreJobsScoreTheMarkedAccounts marks 300 accounts and enqueues
// one rescore, worked by River with small chunks and short slices over
// three lanes: the marks are all cleared, by several jobs, and the scores
// equal a full rescore's.
func TestRescoreJobsScoreTheMarkedAccounts(t *testing.T) {
	ctx := context.Background()
	db, url := migrated(t)
	seed(t, db, 300)
	dirty, err := store.New(db).DirtyAccounts(ctx)
	require.NoError(t, err)
	require.Equal(t, 300, dirty)

	client := startWorkers(t, db, url, jobs.RescoreConfig{Chunk: 20, Lanes: 3, Slice: time.Nanosecond}, 4)
	require.NoError(t, jobs.EnqueueRescore(ctx, client))
	settled(t, db)
	got := scores(t, db)
	require.Len(t, got, 300)

	var lanes []int
	require.NoError(t, db.Raw(`SELECT DISTINCT (args->>'lane')::int FROM river_job WHERE kind = 'rescore' ORDER BY 1`).Scan(&lanes).Error)
	require.Equal(t, []int{0, 1, 2}, lanes, "a backlog opens the other lanes")
	var snoozed int
	require.NoError(t, db.Raw(`SELECT count(*) FROM river_job WHERE kind = 'rescore' AND metadata ? 'snoozes'`).Scan(&snoozed).Error)
	require.Positive(t, snoozed, "jobs hand themselves back at the end of their slice")

	_, err = store.New(db).Rescore(ctx, health.RescoreRequest{All: true, AsOf: time.Now()})
	require.NoError(t, err)
	require.Equal(t, scores(t, db), got)
}

// TestEnqueueRescoreCollapsesABurst enqueues many times while no worker
// runs: one job waits.
func TestEnqueueRescoreCollapsesABurst(t *testing.T) {
	ctx := context.Background()
	db, url := migrated(t)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	for range 10 {
		require.NoError(t, jobs.EnqueueRescore(ctx, client))
	}
	var queued int
	require.NoError(t, db.Raw("SELECT count(*) FROM river_job WHERE kind = 'rescore'").Scan(&queued).Error)
	require.Equal(t, 1, queued)
}

// TestScorecardSaveRescoresItsAccounts saves a scorecard for one segment
// and enqueues the rescore: the job scores that segment's accounts by it,
// and no other account again.
func TestScorecardSaveRescoresItsAccounts(t *testing.T) {
	ctx := context.Background()
	db, url := migrated(t)
	seed(t, db, 30)
	client := startWorkers(t, db, url, jobs.RescoreConfig{}, 2)
	require.NoError(t, jobs.EnqueueRescore(ctx, client))
	settled(t, db)
	var before time.Time
	require.NoError(t, db.Raw("SELECT max(computed_at) FROM account_health").Scan(&before).Error)

	_, err := store.New(db).SaveScorecard(ctx, `
name: enterprise
version: 1
segment: enterprise
measures: [{measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}]`, time.Now())
	require.NoError(t, err)
	require.NoError(t, jobs.EnqueueRescore(ctx, client))
	settled(t, db)
	var cards []struct{ Segment, Scorecard string }
	require.NoError(t, db.Raw(`SELECT DISTINCT a.segment, h.scorecard_name AS scorecard FROM account_health h JOIN accounts a ON a.id = h.account_id
		WHERE h.computed_at > ? ORDER BY 1`, before).Scan(&cards).Error)
	require.Equal(t, []struct{ Segment, Scorecard string }{{"enterprise", "enterprise"}}, cards)
}

// TestRescoreSweepScoresMarksNobodyAskedFor leaves marks as a writer that
// died before it enqueued would, and starts workers with the sweep: its
// first job, on start, scores them.
func TestRescoreSweepScoresMarksNobodyAskedFor(t *testing.T) {
	db, url := migrated(t)
	seed(t, db, 30)
	startWorkers(t, db, url, jobs.RescoreConfig{}, 2, jobs.RescoreSweep(time.Hour))
	settled(t, db)
	require.Len(t, scores(t, db), 30)
}
