package graph

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// FuzzDecodeCursor: whatever a client sends as a cursor is read or refused
// as its mistake, naming the argument, and a cursor read writes back as a
// cursor that reads the same: list cursors and timeline cursors alike.
func FuzzDecodeCursor(f *testing.F) {
	id := uuid.MustParse("000000a1-0000-0000-0000-000000000001")
	f.Add(encodeCursor(domain.Cursor{List: "accounts", Order: "name", Keys: []string{"acme"}, ID: id}))
	f.Add(encodeCursor(domain.Cursor{List: "deals", Order: "amount,closed_at", Keys: []string{"1200.50", "infinity"}, ID: id}))
	f.Add(encodeCursor(domain.TimelineCursor{OccurredAt: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC), Kind: "ACTIVITY", ID: id}))
	f.Add("eyJsIjoiYWNjb3VudHMiLCJ4IjoxfQ") // {"l":"accounts","x":1}: a field no cursor has
	f.Add("not base64!")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip[domain.Cursor](t, s)
		roundTrip[domain.TimelineCursor](t, s)
	})
}

func roundTrip[C any](t *testing.T, s string) {
	t.Helper()
	c, err := decodeCursor[C](&s, "after")
	if err != nil {
		var inputErr *domain.InputError
		if !errors.As(err, &inputErr) || len(inputErr.Problems) != 1 || inputErr.Problems[0].Field != "after" {
			t.Fatalf("%q: %T %v is not an input error naming after", s, err, err)
		}
		return
	}
	written := encodeCursor(*c)
	again, err := decodeCursor[C](&written, "after")
	if err != nil {
		t.Fatalf("%q read as %+v, which writes as %q, which does not read: %v", s, *c, written, err)
	}
	if rewritten := encodeCursor(*again); rewritten != written {
		t.Fatalf("%q: %q reads back as %q", s, written, rewritten)
	}
}
