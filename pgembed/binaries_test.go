package pgembed_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/pgembed"
)

// fakeInstall makes dir look like a PostgreSQL bin directory holding names.
func fakeInstall(t *testing.T, dir string, mode os.FileMode, names ...string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, name := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode))
	}
	return dir
}

// replaceSystemDirs must only be used by tests that are not parallel, as it
// changes package state.
func replaceSystemDirs(t *testing.T, globs []string) {
	old := *pgembed.SystemDirGlobs
	*pgembed.SystemDirGlobs = globs
	t.Cleanup(func() { *pgembed.SystemDirGlobs = old })
}

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	all := []string{"initdb", "pg_ctl", "postgres"}
	full := fakeInstall(t, filepath.Join(root, "full"), 0o755, all...)
	partial := fakeInstall(t, filepath.Join(root, "partial"), 0o755, "initdb", "pg_ctl")
	noExec := fakeInstall(t, filepath.Join(root, "noexec"), 0o644, all...)
	for _, v := range []string{"9.6", "10", "15"} {
		fakeInstall(t, filepath.Join(root, "lib", v, "bin"), 0o755, all...)
	}
	versioned := filepath.Join(root, "lib", "*", "bin")

	tests := []struct {
		name  string
		extra []string
		path  string
		globs []string
		want  string
	}{
		{name: "extra dirs before PATH", extra: []string{full}, path: filepath.Join(root, "lib", "10", "bin"), want: full},
		{name: "PATH", path: full, want: full},
		{name: "skips incomplete and non-executable dirs", extra: []string{partial, noExec}, path: partial + ":" + full, want: full},
		{name: "PATH before system dirs", path: filepath.Join(root, "lib", "10", "bin"), globs: []string{versioned}, want: filepath.Join(root, "lib", "10", "bin")},
		{name: "system dirs, highest version first", globs: []string{versioned}, want: filepath.Join(root, "lib", "15", "bin")},
		{name: "system dirs in order", globs: []string{filepath.Join(root, "nothing", "*"), full, versioned}, want: full},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			replaceSystemDirs(t, tc.globs)
			got, err := pgembed.FindBinaries(tc.extra...)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFindBinariesNone(t *testing.T) {
	t.Setenv("PATH", "")
	replaceSystemDirs(t, nil)
	bogus := filepath.Join(t.TempDir(), "bogus")

	_, err := pgembed.FindBinaries(bogus)
	require.ErrorIs(t, err, pgembed.ErrNoBinaries)
	require.ErrorContains(t, err, "apt-get install postgresql")
	require.ErrorContains(t, err, "DATABASE_URL")
	require.ErrorContains(t, err, bogus, "the error says where it looked")
}

func TestFindBinariesOnThisMachine(t *testing.T) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		t.Skip("no PostgreSQL under /usr/lib/postgresql")
	}
	t.Setenv("PATH", "")
	got, err := pgembed.FindBinaries()
	require.NoError(t, err)
	require.Regexp(t, `^/usr/lib/postgresql/[0-9.]+/bin$`, got)
}

func TestDefaultDataDir(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	unset := "/var/lib/pulse"
	if os.Geteuid() != 0 {
		unset = "/xdg/pulse"
	}
	tests := []struct {
		name     string
		pulseDir string
		xdg      string
		want     string
	}{
		{name: "PULSE_DATA_DIR wins", pulseDir: "/srv/pulse", xdg: "/xdg", want: "/srv/pulse"},
		{name: "relative PULSE_DATA_DIR made absolute", pulseDir: "data", want: filepath.Join(wd, "data")},
		{name: "unset", xdg: "/xdg", want: unset},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PULSE_DATA_DIR", tc.pulseDir)
			t.Setenv("XDG_DATA_HOME", tc.xdg)
			got, err := pgembed.DefaultDataDir()
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
