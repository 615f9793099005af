package main_test

import (
	"regexp"
	"testing"

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
