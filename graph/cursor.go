package graph

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph/model"
)

// encodeCursor writes one of the domain's keyset positions as base64 JSON:
// opaque to clients, who should not build cursors, yet plain to whoever
// debugs one.
func encodeCursor(c any) string {
	// The cursor types hold strings, ids and times, which always encode.
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads the cursor argument field; nil means from an end of
// the list. Unknown fields are refused so that a cursor of another kind of
// list is caught rather than read as a position in this one; the store
// refuses one of another list or order of the same kind.
func decodeCursor[C any](arg *string, field string) (*C, error) {
	if arg == nil {
		return nil, nil
	}
	bad := domain.Invalid(domain.FieldError{Field: field, Message: "is not a cursor of this list"})
	b, err := base64.RawURLEncoding.DecodeString(*arg)
	if err != nil {
		return nil, bad
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c C
	if err := dec.Decode(&c); err != nil {
		return nil, bad
	}
	return &c, nil
}

// The bounds of first and last: a page, and a run's issues; and the page
// read when a connection is given neither.
const (
	maxPage     = 100
	maxIssues   = 1000
	defaultPage = 20
)

// pageSize checks the argument field, n, against its bounds.
func pageSize(n *int, field string, most int) (int, error) {
	if n == nil || *n < 1 || *n > most {
		got := "null"
		if n != nil {
			got = fmt.Sprint(*n)
		}
		return 0, domain.Invalid(domain.FieldError{Field: field, Message: fmt.Sprintf("must be between 1 and %d, got %s", most, got)})
	}
	return *n, nil
}

// window reads a connection's paging arguments: first and after read
// forward, last and before read back, defaultPage rows when first or last
// is left out. The two directions do not mix.
func window[C any](first *int, after *string, last *int, before *string) (domain.Window[C], error) {
	var w domain.Window[C]
	mixed := func(field, with string) error {
		return domain.Invalid(domain.FieldError{Field: field, Message: fmt.Sprintf(
			"cannot be given with %s: read forward with first and after, or back with last and before", with)})
	}
	switch {
	case first != nil && last != nil:
		return w, mixed("last", "first")
	case last != nil && after != nil:
		return w, mixed("after", "last")
	case first != nil && before != nil:
		return w, mixed("before", "first")
	}
	var err error
	def := defaultPage
	if last != nil || before != nil {
		if last == nil {
			last = &def
		}
		if w.Last, err = pageSize(last, "last", maxPage); err != nil {
			return w, err
		}
		w.Before, err = decodeCursor[C](before, "before")
		return w, err
	}
	if first == nil {
		first = &def
	}
	if w.First, err = pageSize(first, "first", maxPage); err != nil {
		return w, err
	}
	w.After, err = decodeCursor[C](after, "after")
	return w, err
}

// edges pairs a page's items with their cursors, and says where the page
// sits.
func edges[T, C, E any](page domain.Page[T, C], edge func(cursor string, node T) E) ([]E, model.PageInfo) {
	out := make([]E, len(page.Items))
	info := model.PageInfo{HasNextPage: page.HasNext, HasPreviousPage: page.HasPrevious}
	for i, item := range page.Items {
		cursor := encodeCursor(page.Cursors[i])
		out[i] = edge(cursor, item)
		if i == 0 {
			info.StartCursor = &cursor
		}
		if i == len(page.Items)-1 {
			info.EndCursor = &cursor
		}
	}
	return out, info
}
