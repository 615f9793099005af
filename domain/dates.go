package domain

import (
	"fmt"
	"time"
)

// Elapsed is the time from start to end that every duration measure
// takes (time to first response, time to resolution). ok is false when end
// comes before start: a date the source got wrong, which no measure
// counts, as a negative duration would drag a median or an average down.
func Elapsed(start, end time.Time) (d time.Duration, ok bool) {
	if end.Before(start) {
		return 0, false
	}
	return end.Sub(start), true
}

// DateWarnings lists a ticket's ends that come before its opening (a case
// closed before it was created, a response before the request): the
// ticket is kept as the source has it, the warning is reported on the
// run, and Elapsed leaves the span out of every duration measure.
func (t Ticket) DateWarnings() Problems {
	var p Problems
	for _, end := range []struct {
		field string
		at    *time.Time
	}{{"first_response_at", t.FirstResponseAt}, {"resolved_at", t.ResolvedAt}} {
		if end.at == nil {
			continue
		}
		if _, ok := Elapsed(t.OpenedAt, *end.at); !ok {
			p = append(p, FieldError{end.field, fmt.Sprintf("%s is before opened_at %s; kept, but left out of duration measures",
				end.at.UTC().Format(time.RFC3339), t.OpenedAt.UTC().Format(time.RFC3339))})
		}
	}
	return p
}
