package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	gosync "sync"
	"time"
)

// limiter is a reverse proxy in front of a connector's base_url that counts
// requests and answers one of them with 429 Too Many Requests.
type limiter struct {
	target *url.URL
	// refuse is the number of the request answered with 429; 0 refuses none.
	refuse int

	mu       gosync.Mutex
	requests int
	// refusedAt is when the 429 went out, retriedAfter how long the next
	// request came after it.
	refusedAt    time.Time
	retriedAfter time.Duration
}

func (l *limiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.requests++
	n := l.requests
	if !l.refusedAt.IsZero() && l.retriedAfter == 0 {
		l.retriedAfter = time.Since(l.refusedAt)
	}
	if n == l.refuse {
		l.refusedAt = time.Now()
	}
	l.mu.Unlock()
	if n == l.refuse {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":"rate limited by the Pulse conformance suite"}`)
		return
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL.Scheme = l.target.Scheme
		pr.Out.URL.Host = l.target.Host
		pr.Out.Host = l.target.Host
	}}
	proxy.ServeHTTP(w, r)
}

// throughProxy reads with base_url pointing at a limiter refusing request
// number refuse.
func (s *suite) throughProxy(ctx context.Context, cfg map[string]any, target *url.URL, refuse int) (*limiter, *readResult, error) {
	l := &limiter{target: target, refuse: refuse}
	srv := httptest.NewServer(l)
	defer srv.Close()
	proxied := maps.Clone(cfg)
	proxied["base_url"] = srv.URL + target.Path
	raw, err := json.Marshal(proxied)
	if err != nil {
		return nil, nil, fmt.Errorf("conformance: encode config: %w", err)
	}
	res := s.read(ctx, s.conn, raw, nil, nil)
	return l, res, nil
}

func (s *suite) ruleRateLimit(ctx context.Context) Result {
	var schema configSchema
	if s.spec != nil {
		_ = json.Unmarshal([]byte(s.spec.GetConfigSchemaJson()), &schema) // the spec rule compiled it
	}
	if _, ok := schema.Properties["base_url"]; !ok {
		return skip("the config schema has no base_url to put a rate-limiting proxy in front of")
	}
	var cfg map[string]any
	_ = json.Unmarshal(s.opts.Config, &cfg) // the check rule decoded it
	base, _ := cfg["base_url"].(string)
	if base == "" {
		return skip("the config sets no base_url to put a rate-limiting proxy in front of")
	}
	if s.blocked != "" {
		return s.notRun()
	}
	target, err := url.Parse(base)
	if err != nil || target.Host == "" {
		return fail("base_url %q is not an absolute URL", base)
	}
	counted, res, err := s.throughProxy(ctx, cfg, target, 0)
	if err != nil {
		return fail("%v", err)
	}
	if msg := res.failure(); msg != "" {
		return fail("reading through a proxy: %s", msg)
	}
	if counted.requests == 0 {
		return fail("the read made no request to base_url")
	}
	want := s.full.records(nil)
	if d := describeDiff(diff(want, res.records(nil))); d != "" {
		return fail("reading through a proxy, without any 429: %s", d)
	}
	refuse := counted.requests/2 + 1
	limited, res, err := s.throughProxy(ctx, cfg, target, refuse)
	if err != nil {
		return fail("%v", err)
	}
	what := fmt.Sprintf("request %d of %d answered 429 with Retry-After: 1", refuse, counted.requests)
	if msg := res.failure(); msg != "" {
		return fail("%s: %s", what, msg)
	}
	if limited.refusedAt.IsZero() {
		return fail("%s: the connector made only %d requests this time", what, limited.requests)
	}
	if limited.retriedAfter == 0 {
		return fail("%s: the connector never asked again", what)
	}
	if limited.retriedAfter < 900*time.Millisecond {
		return fail("%s: the connector asked again after %s", what, limited.retriedAfter.Round(time.Millisecond))
	}
	if d := describeDiff(diff(want, res.records(nil))); d != "" {
		return fail("%s: %s", what, d)
	}
	return pass("%s: the connector asked again %s later and read the same %d records",
		what, limited.retriedAfter.Round(100*time.Millisecond), want.size())
}
