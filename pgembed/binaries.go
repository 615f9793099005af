package pgembed

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrNoBinaries reports that no directory holds all of initdb, pg_ctl and
// postgres.
var ErrNoBinaries = errors.New("pgembed: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; " +
	"install PostgreSQL (e.g. `apt-get install postgresql`) or set DATABASE_URL to use an existing server")

var requiredBinaries = []string{"initdb", "pg_ctl", "postgres"}

// systemDirGlobs are searched after PATH because distributions keep the
// server binaries out of PATH: Debian and Ubuntu under /usr/lib/postgresql,
// the PGDG RPMs under /usr/pgsql-N, source builds under /usr/local/pgsql.
var systemDirGlobs = []string{
	"/usr/lib/postgresql/*/bin",
	"/usr/pgsql-*/bin",
	"/usr/local/pgsql/bin",
}

// FindBinaries returns the first directory holding initdb, pg_ctl and
// postgres, searching extraDirs, then PATH, then the usual install locations
// (highest PostgreSQL version first). The error wraps ErrNoBinaries.
func FindBinaries(extraDirs ...string) (binDir string, err error) {
	candidates := slices.Concat(extraDirs, filepath.SplitList(os.Getenv("PATH")), systemDirs())
	for _, dir := range candidates {
		// An empty PATH element means the working directory; picking up a
		// server from wherever Pulse happens to run would be a surprise.
		if dir == "" {
			continue
		}
		if hasBinaries(dir) {
			return filepath.Abs(dir)
		}
	}
	return "", fmt.Errorf("%w (searched: %s)", ErrNoBinaries, strings.Join(candidates, ", "))
}

func hasBinaries(dir string) bool {
	for _, name := range requiredBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

var digits = regexp.MustCompile(`\d+`)

// systemDirs expands systemDirGlobs, newest version first within each glob,
// because a new major version is installed beside the old one and a fresh
// cluster should use the newest.
func systemDirs() []string {
	var dirs []string
	for _, glob := range systemDirGlobs {
		matches, _ := filepath.Glob(glob) // the patterns are constant and valid
		slices.SortFunc(matches, func(a, b string) int {
			return -slices.CompareFunc(versionOf(a), versionOf(b), cmp.Compare[int])
		})
		dirs = append(dirs, matches...)
	}
	return dirs
}

func versionOf(path string) []int {
	var v []int
	for _, d := range digits.FindAllString(path, -1) {
		n, _ := strconv.Atoi(d) // only digits, and small
		v = append(v, n)
	}
	return v
}
