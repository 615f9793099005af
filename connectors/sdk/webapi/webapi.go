// Package webapi is the HTTP client connectors use to read a vendor's JSON
// API politely: it authorizes each request, waits out 429s for as long as
// the vendor's Retry-After asks (up to a bound), backs off on 5xx and
// network failures, paces itself by the vendor's quota headers, and turns
// what cannot be retried into the SDK's typed errors: a rejected credential
// is a *sdk.ConfigError naming the credential's field, an exhausted quota a
// *sdk.TransientError carrying when to come back.
//
// When the context of a call carries the host's rate limiter (as the
// context Read gives a stream does, see sdk.LimiterFrom), the client asks
// it before every request, and what the vendor says about its limits (a
// 429's Retry-After, spent quota headers) becomes a hold on it: every
// client reading the same source then waits, in this read, in concurrent
// reads and in the next run. Without one, each client paces itself alone.
package webapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
)

// Client calls one vendor API. The zero value is not usable: set BaseURL.
type Client struct {
	// BaseURL is prefixed to relative paths, e.g. "https://api.hubapi.com".
	BaseURL string
	// HTTP is the client used; nil means a client with a 60 s timeout.
	HTTP *http.Client
	// Authorize adds credentials to a request.
	Authorize func(*http.Request)
	// AuthField is the config field named by the ConfigError a 401 or 403
	// gives, e.g. "access_token".
	AuthField string
	// MaxWait bounds one wait for a 429, a spent quota or a hold of the
	// host's rate limiter; a longer one ends the read with a
	// TransientError telling when to resume. Zero means 2 min.
	MaxWait time.Duration
	// Retries is how many times a 5xx, a 429 or a network failure is
	// retried before giving up. Zero means 5.
	Retries int
	// Pace, when set, is asked after every response how long to wait
	// before the next request: the place to read a vendor's quota headers
	// (remaining calls in the window). A wait beyond MaxWait ends the read
	// as a TransientError, as an exhausted daily quota should. With the
	// host's rate limiter, the wait holds every call for the source.
	Pace func(*http.Response) time.Duration
	// Refine, when set, is asked first about every answer of status 400 or
	// more: it returns the error to give for it (a vendor that signals a
	// spent daily quota with a 403 wants a *sdk.TransientError, not a
	// ConfigError), or nil to let the status decide.
	Refine func(status int, h http.Header, body []byte) error
	// Sleep waits; nil means a timer honouring ctx. Tests replace it to
	// record waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock Retry-After dates are read against; nil means
	// time.Now.
	Now func() time.Time

	// own paces the client when a read has no host rate limiter.
	ownOnce sync.Once
	own     *sdk.MemoryLimiter
}

// StatusError is a response refused for a reason retrying cannot fix (a
// 4xx other than 401, 403 and 429).
type StatusError struct {
	Method, URL string
	Status      int
	// Body is the start of the response body, which vendors fill with
	// their error's explanation.
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), e.Body)
}

// NotFound reports whether err is a 404 from the vendor.
func NotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// Get reads path (relative to BaseURL, or absolute, as vendors' next-page
// links are) with query, decoding the JSON answer into out.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	_, err := c.Do(ctx, http.MethodGet, path, query, nil, out)
	return err
}

// Post sends body as JSON to path and decodes the JSON answer into out.
func (c *Client) Post(ctx context.Context, path string, body, out any) error {
	_, err := c.Do(ctx, http.MethodPost, path, nil, body, out)
	return err
}

// Do makes one call, retrying as the package doc says, and decodes a 2xx
// answer's JSON into out when out is not nil. It returns the final
// response's headers.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) (http.Header, error) {
	u, err := c.url(path, query)
	if err != nil {
		return nil, err
	}
	var payload []byte
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("webapi: %s %s: encode body: %w", method, u, err)
		}
	}
	retries := c.Retries
	if retries == 0 {
		retries = 5
	}
	lim := c.limiter(ctx)
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		if err := c.waitTurn(ctx, lim); err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, method, u, payload)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if attempt >= retries {
				return nil, &sdk.TransientError{Err: fmt.Errorf("%s %s: %w", method, u, err)}
			}
			if err := c.sleep(ctx, backoff); err != nil {
				return nil, err
			}
			backoff *= 2
			continue
		}
		data, readErr := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if c.Pace != nil {
			if d := c.Pace(resp); d > 0 {
				if err := c.hold(ctx, lim, c.now().Add(d), fmt.Sprintf("%s %s: the API's quota is spent for %s", method, u, d)); err != nil {
					return nil, err
				}
			}
		}
		if resp.StatusCode >= 400 && c.Refine != nil {
			if err := c.Refine(resp.StatusCode, resp.Header, data); err != nil {
				// A vendor's own word that its quota is spent until some
				// time holds every other call for the source too.
				var te *sdk.TransientError
				if errors.As(err, &te) && te.RetryAfter.After(c.now()) {
					if herr := c.hold(ctx, lim, te.RetryAfter, err.Error()); herr != nil {
						return nil, herr
					}
				}
				return nil, err
			}
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			limited := fmt.Sprintf("%s %s: rate limited: %s", method, u, snippet(data))
			wait := c.retryAfter(resp.Header, backoff)
			until := c.now().Add(wait)
			if err := c.hold(ctx, lim, until, limited); err != nil {
				return nil, err
			}
			if wait > c.maxWait() || attempt >= retries {
				return nil, &sdk.TransientError{Err: errors.New(limited), RetryAfter: until}
			}
			// The loop's next turn waits for the hold, as every other
			// call for the source does.
			backoff *= 2
			continue
		case resp.StatusCode >= 500:
			if attempt >= retries {
				return nil, &sdk.TransientError{Err: fmt.Errorf("%s %s: %d %s: %s", method, u, resp.StatusCode, http.StatusText(resp.StatusCode), snippet(data))}
			}
			if err := c.sleep(ctx, c.retryAfter(resp.Header, backoff)); err != nil {
				return nil, err
			}
			backoff *= 2
			continue
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return nil, &sdk.ConfigError{Field: c.AuthField, Err: fmt.Errorf("the API refused the credentials (%d %s): %s", resp.StatusCode, http.StatusText(resp.StatusCode), snippet(data))}
		case resp.StatusCode >= 400:
			return nil, &StatusError{Method: method, URL: u, Status: resp.StatusCode, Body: snippet(data)}
		}
		if readErr != nil {
			return nil, &sdk.TransientError{Err: fmt.Errorf("%s %s: read body: %w", method, u, readErr)}
		}
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return nil, fmt.Errorf("webapi: %s %s: decode answer: %w", method, u, err)
			}
		}
		return resp.Header, nil
	}
}

func (c *Client) url(path string, query url.Values) (string, error) {
	var u *url.URL
	var err error
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err = url.Parse(path)
	} else {
		u, err = url.Parse(strings.TrimRight(c.BaseURL, "/") + "/" + strings.TrimLeft(path, "/"))
	}
	if err != nil {
		return "", fmt.Errorf("webapi: bad URL %q: %w", path, err)
	}
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

func (c *Client) send(ctx context.Context, method, u string, payload []byte) (*http.Response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Authorize != nil {
		c.Authorize(req)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	return hc.Do(req)
}

var defaultHTTP = &http.Client{Timeout: 60 * time.Second}

// limiter is the host's rate limiter of the read ctx belongs to, or else
// the client's own.
func (c *Client) limiter(ctx context.Context) sdk.Limiter {
	if lim := sdk.LimiterFrom(ctx); lim != nil {
		return lim
	}
	c.ownOnce.Do(func() { c.own = &sdk.MemoryLimiter{Now: c.now} })
	return c.own
}

// waitTurn waits until lim lets the next request go. A wait beyond MaxWait
// ends the read instead, as transient.
func (c *Client) waitTurn(ctx context.Context, lim sdk.Limiter) error {
	var waitedFor time.Time
	for {
		h, err := lim.Acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("webapi: %w", err)
		}
		// A hold over by this client's clock, or one it has already
		// waited out, lets the call go rather than asking again until
		// the host's clock agrees.
		if h.Until.IsZero() || !h.Until.After(c.now()) || !h.Until.After(waitedFor) {
			return nil
		}
		waited, err := c.waitUntil(ctx, h.Until)
		if err != nil {
			return err
		}
		if !waited {
			return &sdk.TransientError{Err: fmt.Errorf("calls to the API are held until %s: %s", h.Until.UTC().Format(time.RFC3339), h.Reason), RetryAfter: h.Until}
		}
		// Ask again: another call may have held the source longer
		// meanwhile.
		waitedFor = h.Until
	}
}

// waitUntil sleeps until t, unless t is further off than MaxWait: then it
// reports false at once.
func (c *Client) waitUntil(ctx context.Context, t time.Time) (bool, error) {
	d := t.Sub(c.now())
	if d <= 0 {
		return true, nil
	}
	if d > c.maxWait() {
		return false, nil
	}
	return true, c.sleep(ctx, d)
}

// hold tells lim that no call for the source may go before until.
func (c *Client) hold(ctx context.Context, lim sdk.Limiter, until time.Time, reason string) error {
	if err := lim.Hold(ctx, until, reason); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("webapi: %w", err)
	}
	return nil
}

// retryAfter reads Retry-After as seconds or an HTTP date, falling back to
// the current backoff.
func (c *Client) retryAfter(h http.Header, fallback time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return fallback
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(c.now()); d > 0 {
			return d
		}
		return 0
	}
	return fallback
}

func (c *Client) maxWait() time.Duration {
	if c.MaxWait == 0 {
		return 2 * time.Minute
	}
	return c.MaxWait
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// snippet is the start of a body, for error messages.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
