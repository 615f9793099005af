package secrets_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/secrets"
)

func TestSealOpen(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	require.NoError(t, err)
	sealed, err := box.Seal([]byte(`{"token":"s3cret"}`))
	require.NoError(t, err)
	require.False(t, bytes.Contains(sealed, []byte("s3cret")))
	plain, err := box.Open(sealed)
	require.NoError(t, err)
	require.Equal(t, `{"token":"s3cret"}`, string(plain))

	sealed[len(sealed)-1] ^= 1
	_, err = box.Open(sealed)
	require.ErrorIs(t, err, secrets.ErrOpen)
}

func TestLoadKey(t *testing.T) {
	t.Setenv("PULSE_SECRET_KEY", "")
	dir := t.TempDir()
	k1, err := secrets.LoadKey(dir)
	require.NoError(t, err)
	info, err := os.Stat(filepath.Join(dir, secrets.KeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	k2, err := secrets.LoadKey(dir)
	require.NoError(t, err)
	require.Equal(t, k1, k2, "the generated key is kept")

	env := make([]byte, 32)
	_, _ = rand.Read(env)
	t.Setenv("PULSE_SECRET_KEY", base64.StdEncoding.EncodeToString(env))
	k3, err := secrets.LoadKey(dir)
	require.NoError(t, err)
	require.Equal(t, env, k3, "the environment wins")

	tests := []struct{ name, value string }{
		{"too short", base64.StdEncoding.EncodeToString([]byte("short"))},
		{"not encoded", "not a key at all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PULSE_SECRET_KEY", tc.value)
			_, err := secrets.LoadKey(dir)
			require.ErrorContains(t, err, "PULSE_SECRET_KEY")
		})
	}
}
