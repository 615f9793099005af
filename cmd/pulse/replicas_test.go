package main_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeReplicasShareTheKeyLimits: two pulse serve processes on one
// database share an API key's requests in flight. Ten requests of one
// key, five to each replica, sent at once while the sources table is
// locked, so that each request let in waits in the database: exactly
// four are let in, the six others are answered 429 RATE_LIMITED at once;
// once the lock goes, the four are answered.
func TestServeReplicasShareTheKeyLimits(t *testing.T) {
	const sent, limit = 10, 4
	c := newCLI(t)
	key := keyPattern.FindString(c.ok(t, "apikey", "create", "dashboard", "--role", "viewer"))
	args := []string{"--max-in-flight", fmt.Sprint(limit), "--statement-timeout", "2m", "--scheduler-tick", "1h"}
	replicas := []*server{startServe(t, c.env, args...), startServe(t, c.env, args...)}
	const list = `{ sources { name } }`
	for _, s := range replicas {
		status, out := s.as(t, key, list)
		require.Equal(t, http.StatusOK, status, out)
	}

	db, err := sql.Open("pgx", c.url)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	// waiting counts the requests let in: each waits for the lock.
	waiting := func() int {
		t.Helper()
		var n int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'
			AND query LIKE 'SELECT * FROM "sources"%'`).Scan(&n))
		return n
	}
	unlock := lockTable(t, c.url, "sources")
	t.Cleanup(unlock)

	answers := make(chan answer, sent)
	for i := range sent {
		go func() { answers <- askAs(replicas[i%2].url, key, list) }()
	}
	// Each request is either let in, and waits, or refused, and
	// answered: count both until every one is one or the other.
	var refused []answer
	for deadline := time.Now().Add(2 * time.Minute); len(refused)+waiting() < sent; {
		require.True(t, time.Now().Before(deadline), "requests neither answered nor waiting: %d answered, %d waiting", len(refused), waiting())
		select {
		case a := <-answers:
			refused = append(refused, a)
		case <-time.After(20 * time.Millisecond):
		}
	}
	require.Equal(t, limit, waiting(), "let in across both replicas")
	for _, a := range refused {
		require.NoError(t, a.err)
		require.Equal(t, http.StatusTooManyRequests, a.status, a.out)
		require.Equal(t, []string{"RATE_LIMITED"}, codes(a.out))
		require.Contains(t, a.out["errors"].([]any)[0].(map[string]any)["message"], "4 requests running")
	}

	unlock()
	for range limit {
		a := <-answers
		require.NoError(t, a.err)
		require.Equal(t, http.StatusOK, a.status, a.out)
		require.Nil(t, a.out["errors"])
	}
	for _, s := range replicas {
		s.stop(t)
	}
}

// answer is a response's status and decoded body, or why there is none.
type answer struct {
	status int
	out    map[string]any
	err    error
}

// askAs posts a query with key to the server at url, for a goroutine of
// the test, which may not stop the test itself.
func askAs(url, key, q string) answer {
	body, _ := json.Marshal(map[string]any{"query": q})
	req, err := http.NewRequest(http.MethodPost, url+"/query", strings.NewReader(string(body)))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{err: err}
	}
	a := answer{status: resp.StatusCode}
	if err := json.Unmarshal(b, &a.out); err != nil {
		a.err = fmt.Errorf("%w: %s", err, b)
	}
	return a
}
