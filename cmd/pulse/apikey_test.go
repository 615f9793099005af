package main_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAPIKeyCommands(t *testing.T) {
	c := newCLI(t)
	out := c.ok(t, "apikey", "create", "dashboard", "--role", "editor")
	key := keyPattern.FindString(out)
	require.NotEmpty(t, key, out)
	require.Contains(t, out, "created editor key dashboard")

	out = c.ok(t, "apikey", "list")
	require.Regexp(t, `dashboard\s+editor\s+`+regexp.QuoteMeta(key[:12])+`…\s+\S+\s+never\s+live`, out)
	require.NotContains(t, out, key, "the key is shown once, at creation")

	out, err := c.run(t, "apikey", "create", "x", "--role", "root")
	require.Error(t, err)
	require.Contains(t, out, `role: "root" is not one of viewer, editor, admin`)

	c.ok(t, "apikey", "revoke", "dashboard")
	require.Regexp(t, `dashboard\s+editor\s+.*revoked`, c.ok(t, "apikey", "list"))
	out, err = c.run(t, "apikey", "revoke", "dashboard")
	require.Error(t, err)
	require.Contains(t, out, "not found")
}

// TestServeDemoKeepsItsKeyUntilRevoked restarts serve --demo on one data
// folder (and a database given by URL): a saved header goes on working
// until the key is revoked, or its file is lost; then a new one is made.
func TestServeDemoKeepsItsKeyUntilRevoked(t *testing.T) {
	c := newCLI(t)
	dataDir := t.TempDir()
	c.env = append(c.env, "PULSE_DATA_DIR="+dataDir)
	file := filepath.Join(dataDir, "demo-admin-key")
	const q = `{ accounts(first: 1) { totalCount } }`

	s := startServe(t, c.env, "--demo", "--demo-size", "5")
	first := s.key
	require.Eventually(t, func() bool {
		return strings.Contains(s.out.String(), `until it is revoked (pulse apikey revoke "demo admin"); it is kept in `+file)
	}, time.Minute, 10*time.Millisecond, s.out.String())
	s.query(t, q)
	s.stop(t)
	info, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "only its owner reads the key")

	s = startServe(t, c.env, "--demo", "--demo-size", "5")
	require.Equal(t, first, s.key, "the next start prints the same key")
	s.query(t, q)
	s.stop(t)

	c.ok(t, "apikey", "revoke", "demo admin")
	s = startServe(t, c.env, "--demo", "--demo-size", "5")
	second := s.key
	require.NotEqual(t, first, second, "a revoked key is replaced")
	s.query(t, q)
	status, _ := s.as(t, first, q)
	require.Equal(t, http.StatusUnauthorized, status)
	s.stop(t)

	// A key whose file is gone cannot be printed again: it is revoked and
	// replaced.
	require.NoError(t, os.Remove(file))
	s = startServe(t, c.env, "--demo", "--demo-size", "5")
	require.NotEqual(t, second, s.key)
	s.query(t, q)
	status, _ = s.as(t, second, q)
	require.Equal(t, http.StatusUnauthorized, status)
	s.stop(t)
	require.Regexp(t, `(?m)^demo admin\s+admin\s+.*live`, c.ok(t, "apikey", "list"), "one live demo key")
}
