package testkit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	gosync "sync"
	"testing"
	"time"
)

// API is the HTTP API the testkit reads when its config sets api_url: GET
// /{stream}?page=N answers the Nth page of ids (from 1), or, the first time
// only, the Limit set for that page. It logs every call, so that a test can
// check that none came while an answer asked every caller to wait.
type API struct {
	*httptest.Server

	mu     gosync.Mutex
	pages  map[string][][]string
	limits map[string]Limit
	calls  []apiCall
}

// Limit is how the API answers a page once, and how long that answer asks
// every caller to wait.
type Limit struct {
	Status  int
	Headers map[string]string
	Hold    time.Duration
}

// TooManyRequests is a 429 whose Retry-After asks to wait d.
func TooManyRequests(d time.Duration) Limit {
	return Limit{Status: http.StatusTooManyRequests, Headers: map[string]string{"Retry-After": seconds(d)}, Hold: d}
}

// QuotaSpent is the page, with quota headers saying no call is left for d.
func QuotaSpent(d time.Duration) Limit {
	return Limit{Status: http.StatusOK, Headers: map[string]string{"X-Quota-Remaining": "0", "X-Quota-Reset": seconds(d)}, Hold: d}
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// apiCall is one request the API answered.
type apiCall struct {
	at     time.Time
	stream string
	page   int
	// hold is how long the answer asked to wait before the next call.
	hold time.Duration
}

// NewAPI serves pages, each stream's pages of ids in order, until t ends.
func NewAPI(t testing.TB, pages map[string][][]string) *API {
	a := &API{pages: pages, limits: map[string]Limit{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// Limit makes the API answer the next request for page n of stream with l.
func (a *API) Limit(stream string, n int, l Limit) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limits[fmt.Sprintf("%s/%d", stream, n)] = l
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	stream := r.URL.Path[1:]
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	a.mu.Lock()
	pages := a.pages[stream]
	// The page after the last answers empty, as a real paged API does to
	// a client resuming past the end; any later one is not there.
	if err != nil || n < 1 || n > len(pages)+1 {
		a.mu.Unlock()
		http.Error(w, `{"message":"no such page"}`, http.StatusNotFound)
		return
	}
	key := fmt.Sprintf("%s/%d", stream, n)
	l, limited := a.limits[key]
	delete(a.limits, key)
	a.calls = append(a.calls, apiCall{at: time.Now(), stream: stream, page: n, hold: l.Hold})
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	for k, v := range l.Headers {
		w.Header().Set(k, v)
	}
	if limited && l.Status != http.StatusOK {
		w.WriteHeader(l.Status)
		fmt.Fprint(w, `{"message":"slow down"}`)
		return
	}
	ids := []string{}
	if n <= len(pages) {
		ids = pages[n-1]
	}
	_ = json.NewEncoder(w).Encode(page{IDs: ids, More: n < len(pages)}) // a test's client went away
}

// CallsDuringHolds describes each call that arrived while an earlier
// answer asked every caller to wait; none should.
func (a *API) CallsDuringHolds() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for i, held := range a.calls {
		for _, c := range a.calls[i+1:] {
			if c.at.Before(held.at.Add(held.hold)) {
				out = append(out, fmt.Sprintf("%s page %d came %s after %s page %d asked to wait %s",
					c.stream, c.page, c.at.Sub(held.at), held.stream, held.page, held.hold))
			}
		}
	}
	return out
}

// PagesCalled lists the pages of stream asked for, in order.
func (a *API) PagesCalled(stream string) []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []int
	for _, c := range a.calls {
		if c.stream == stream {
			out = append(out, c.page)
		}
	}
	return out
}
