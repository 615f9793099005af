package store

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/testdb"
)

// storable tells the keys Pulse can have stored: its dates and times pass
// through Go's time, years 1 to 9999, not PostgreSQL's wider range (years
// past 9999, BC).
func storable(typ, rendered string) bool {
	if typ != "date" && typ != "timestamptz" || strings.HasPrefix(rendered, "infinity") || strings.HasPrefix(rendered, "-infinity") {
		return true
	}
	return dateInGo.MatchString(rendered) && !strings.HasSuffix(rendered, " BC")
}

var dateInGo = regexp.MustCompile(`^[0-9]{4}-`)

// cursorKeyTypes are the SQL types of the keys lists are ordered by.
var cursorKeyTypes = []string{"text", "boolean", "int", "double precision", "numeric", "date", "timestamptz"}

// FuzzCursorKey holds validKey to what it promises, both ways, against
// PostgreSQL itself: a key it accepts casts without error (a forged cursor
// is the client's mistake, refused, never a failed statement and an
// INTERNAL error), and every value PostgreSQL renders as a key (what a
// real cursor carries) is accepted.
func FuzzCursorKey(f *testing.F) {
	ctx := context.Background()
	db, err := Open(ctx, testdb.New(f))
	require.NoError(f, err)
	f.Cleanup(func() { Close(db) })
	for i, s := range []string{"acme", "true", "42", "-2147483648", "1.5e300", "1200.50", "2024-02-29",
		"2024-02-29T10:00:00.123456Z", "infinity", "-infinity", "0000-01-01", "1e400", "1e-400", "0x1p-2", "a\x00b", "NaN"} {
		for j := range cursorKeyTypes {
			f.Add(uint8(i+j), s)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		typ := cursorKeyTypes[int(which)%len(cursorKeyTypes)]
		var rendered string
		castErr := db.WithContext(ctx).Raw("SELECT to_json(CAST(? AS "+typ+")) #>> '{}'", s).Row().Scan(&rendered)
		if validKey(typ, s) {
			require.NoError(t, castErr, "validKey(%q, %q) accepts what PostgreSQL refuses", typ, s)
		}
		if castErr == nil && storable(typ, rendered) {
			require.True(t, validKey(typ, rendered), "validKey(%q, %q) refuses what PostgreSQL renders (from %q)", typ, rendered, s)
		}
	})
}
