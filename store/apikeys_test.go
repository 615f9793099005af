package store_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	keys := store.NewKeys(db)

	key, secret, err := keys.Create(ctx, "dashboard", domain.Viewer, "test")
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^pulse_[A-Za-z0-9_-]{43}$`), secret)
	require.Equal(t, secret[:12], key.Prefix)
	var stored string
	require.NoError(t, db.Raw("SELECT hash FROM api_keys WHERE id = ?", key.ID).Scan(&stored).Error)
	require.NotContains(t, stored, secret[6:], "the key itself is not kept")

	got, err := keys.Authenticate(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, domain.Viewer, got.Role)
	require.NotNil(t, got.LastUsedAt)

	bad := []struct{ name, secret string }{
		{"empty", ""},
		{"no prefix", secret[6:]},
		{"one character off", secret[:len(secret)-1] + "x"},
		{"too short", "pulse_abc"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.Authenticate(ctx, tc.secret)
			require.ErrorIs(t, err, store.ErrBadKey)
		})
	}

	_, _, err = keys.Create(ctx, "dashboard", domain.Admin, "test")
	require.ErrorContains(t, err, `name: a live key is already called "dashboard"`)
	_, _, err = keys.Create(ctx, " ", "root", "test")
	require.ErrorContains(t, err, "name: is required")
	require.ErrorContains(t, err, `role: "root" is not one of viewer, editor, admin`)

	revoked, err := keys.Revoke(ctx, "dashboard")
	require.NoError(t, err)
	require.NotNil(t, revoked.RevokedAt)
	_, err = keys.Authenticate(ctx, secret)
	require.ErrorIs(t, err, store.ErrBadKey, "a revoked key stops working")
	_, err = keys.Revoke(ctx, key.ID.String())
	require.ErrorIs(t, err, domain.ErrNotFound)

	// The name is free again once its key is revoked.
	_, _, err = keys.Create(ctx, "dashboard", domain.Editor, "test")
	require.NoError(t, err)
	all, err := keys.List(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
}

func TestAccessLevels(t *testing.T) {
	tests := []struct {
		have, need domain.Access
		ok         bool
	}{
		{domain.Viewer, domain.Viewer, true},
		{domain.Viewer, domain.Editor, false},
		{domain.Editor, domain.Viewer, true},
		{domain.Editor, domain.Admin, false},
		{domain.Admin, domain.Editor, true},
		{"root", domain.Viewer, false},
	}
	for _, tc := range tests {
		require.Equal(t, tc.ok, tc.have.Allows(tc.need), "%s allows %s", tc.have, tc.need)
	}
}
