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

// decodeCursor reads the after argument; nil means from the start.
// Unknown fields are refused so that a cursor of another list is caught
// rather than read as a position in this one.
func decodeCursor[C any](after *string) (*C, error) {
	if after == nil {
		return nil, nil
	}
	bad := domain.Invalid(domain.FieldError{Field: "after", Message: "is not a cursor of this list"})
	b, err := base64.RawURLEncoding.DecodeString(*after)
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

// The bounds of first: a page, and a run's issues.
const (
	maxPage   = 100
	maxIssues = 1000
)

// pageSize checks first against its bounds.
func pageSize(first *int, most int) (int, error) {
	if first == nil || *first < 1 || *first > most {
		got := "null"
		if first != nil {
			got = fmt.Sprint(*first)
		}
		return 0, domain.Invalid(domain.FieldError{Field: "first", Message: fmt.Sprintf("must be between 1 and %d, got %s", most, got)})
	}
	return *first, nil
}

// edges pairs a page's items with their cursors, and says where the page
// sits.
func edges[T, C, E any](page domain.Page[T, C], after *string, edge func(cursor string, node T) E) ([]E, model.PageInfo) {
	out := make([]E, len(page.Items))
	info := model.PageInfo{HasNextPage: page.HasNext, HasPreviousPage: after != nil}
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
