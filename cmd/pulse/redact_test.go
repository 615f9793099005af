package main_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/hubspot/hubspottest"
	"github.com/pulseproject/pulse/connectors/zendesk/zendesktest"
)

// leakyVendor stands in front of a vendor's stand-in: once leak is set it
// answers every request 400 with a body that echoes the request's
// Authorization header, and the secret itself, as some vendors do.
func leakyVendor(t *testing.T, upstream, secret string) (*httptest.Server, *atomic.Bool) {
	t.Helper()
	target, err := url.Parse(upstream)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var leak atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !leak.Load() {
			proxy.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		echo := fmt.Sprintf("Bad request: GET %s?api_key=%s with Authorization: %s; the token %s is not allowed here",
			r.URL.Path, secret, r.Header.Get("Authorization"), secret)
		fmt.Fprintf(w, `{"status":"error","message":%q,"error":"InvalidRequest","description":%q,"request":{"headers":{"Authorization":%q}}}`,
			echo, echo, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv, &leak
}

// TestVendorErrorsNeverLeakTheToken: a vendor's 400 echoing the token
// reaches neither the stored run, nor pulse's output and log, nor a
// viewer's syncRuns { error }, nor serve's log; the rest of the message
// stays.
func TestVendorErrorsNeverLeakTheToken(t *testing.T) {
	tests := []struct {
		kind string
		// start runs the vendor's stand-in and returns its URL, the
		// settings of a source of it, and the credentials that must not
		// show: the secret and the Authorization value made of it.
		start func(t *testing.T) (upstream string, settings []string, leaks []string)
	}{
		{"hubspot", func(t *testing.T) (string, []string, []string) {
			const token = "pat-na1-LEAKME-0f3a9c2e"
			hs, err := hubspottest.New(connectorTestdata(t, "hubspot"), token)
			require.NoError(t, err)
			t.Cleanup(hs.Close)
			return hs.URL, []string{"access_token=" + token}, []string{token}
		}},
		{"zendesk", func(t *testing.T) (string, []string, []string) {
			const email, token = "admin@pulse-demo.example", "zd-LEAKME-77b1e0"
			zd, err := zendesktest.New(connectorTestdata(t, "zendesk"), email, token)
			require.NoError(t, err)
			t.Cleanup(zd.Close)
			basic := base64.StdEncoding.EncodeToString([]byte(email + "/token:" + token))
			return zd.URL, []string{"email=" + email, "api_token=" + token}, []string{token, basic}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			upstream, settings, leaks := tc.start(t)
			vendor, leak := leakyVendor(t, upstream, leaks[0])
			c := newCLI(t)
			add := append([]string{"source", "add", tc.kind, "v", "base_url=" + vendor.URL}, settings...)
			// The check source add runs meets the echo first.
			leak.Store(true)
			refused := c.exit(t, 1, add...)
			require.Contains(t, refused, "[REDACTED]", "the check's problem is told, redacted")
			leak.Store(false)
			c.ok(t, add...)
			leak.Store(true)

			out := c.exit(t, 1, "sync", "v")
			require.Contains(t, out, "Bad request: GET ", "the vendor's answer is still told")
			require.Contains(t, out, "[REDACTED]")
			var stored string
			db := openSQL(t, c.url)
			require.NoError(t, db.QueryRow("SELECT error FROM sync_runs").Scan(&stored))
			require.Contains(t, stored, "[REDACTED]")
			rows, err := db.Query("SELECT origin || ' ' || message FROM sync_issues")
			require.NoError(t, err)
			var issues []string
			for rows.Next() {
				var s string
				require.NoError(t, rows.Scan(&s))
				issues = append(issues, s)
			}
			require.NoError(t, rows.Err())
			rows.Close()

			viewer := keyPattern.FindString(c.ok(t, "apikey", "create", "v", "--role", "viewer"))
			s := startServe(t, c.env)
			// A run the API starts fails in serve, which logs it.
			const runs = `{ sources { id syncRuns(first: 5) { edges { node { status error issues { origin message } } } } } }`
			_, before := s.as(t, viewer, runs)
			id := before["data"].(map[string]any)["sources"].([]any)[0].(map[string]any)["id"]
			started := s.post(t, `mutation($id: ID!) { runSync(sourceId: $id) { status } }`, map[string]any{"id": id})
			require.Nil(t, started["errors"], started)
			require.Eventually(t, func() bool { return strings.Contains(s.logs.String(), "sync failed") }, time.Minute, 100*time.Millisecond)
			status, answer := s.as(t, viewer, runs)
			require.Equal(t, http.StatusOK, status)
			require.Nil(t, answer["errors"], answer)
			shown := fmt.Sprint(answer["data"])
			require.Contains(t, shown, "FAILED")
			require.Contains(t, shown, "[REDACTED]")
			s.stop(t)

			for _, secret := range leaks {
				for where, text := range map[string]string{"source add's problems": refused, "pulse sync's output and log": out, "sync_runs.error": stored,
					"sync_issues": strings.Join(issues, "\n"), "syncRuns for a viewer": shown, "serve's log": s.logs.String()} {
					require.NotContains(t, text, secret, "%s shows the credential", where)
				}
			}
		})
	}
}
