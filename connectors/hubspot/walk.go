package hubspot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// settle is how far behind the present a read stops: HubSpot's search
// index takes a few moments to see a change, so a watermark closer to now
// could pass over a record modified just before it but not yet indexed.
const settle = 2 * time.Minute

// searchLimit is the most results a search page holds.
const searchLimit = 200

// cursor is the checkpoint of an object stream.
type cursor struct {
	// Modified (Unix ms) and ID say which changes were read: every record
	// last modified before Modified, and at Modified those up to ID in id
	// order; an empty ID means all of them.
	Modified int64  `json:"modified"`
	ID       string `json:"id,omitempty"`
	// ArchivedSince (Unix ms) is when the last finished archive listing
	// began: records archived since are yet to be sent as tombstones.
	ArchivedSince int64 `json:"archived_since"`
	// Archive is the archive listing under way.
	Archive *archivePass `json:"archive,omitempty"`
}

// archivePass is a listing of archived records: when it began (Unix ms),
// and the paging token of its next page.
type archivePass struct {
	Start int64  `json:"start"`
	After string `json:"after,omitempty"`
}

// walker reads one object type's changes and archivals for a stream.
type walker struct {
	s     *session
	o     *objectType
	props []string
	w     *sdk.Writer
	// page maps and emits a page of changed records, oldest first.
	page func(ctx context.Context, recs []*crmObject) error
	// gone is the tombstone of an archived record.
	gone func(id string) *connectorpb.Record
}

// run reads from the checkpoint on: the changes through search, then the
// archive listing, as the package doc tells.
func (k *walker) run(ctx context.Context, state sdk.State) error {
	cfg := k.s.cfg
	cur := cursor{Modified: max(cfg.start-1, 0), ArchivedSince: cfg.start}
	resumed, err := state.Decode(&cur)
	if err != nil {
		return fmt.Errorf("hubspot: %s: %w", k.o.stream, err)
	}
	cutoff := now().Add(-settle).UnixMilli()
	if cur.ID != "" {
		if err := k.tie(ctx, &cur); err != nil {
			return err
		}
	}
	for first := true; ; first = false {
		filters := []filter{{PropertyName: k.o.modified, Operator: "LT", Value: millis(cutoff)}}
		if cur.Modified > 0 {
			filters = append(filters, filter{PropertyName: k.o.modified, Operator: "GT", Value: millis(cur.Modified)})
		}
		page, err := k.s.search(ctx, k.o, searchRequest{
			FilterGroups: []filterGroup{{Filters: filters}},
			Sorts:        []sortOrder{{PropertyName: k.o.modified, Direction: "ASCENDING"}},
			Properties:   k.props, Limit: searchLimit, After: "0",
		})
		if err != nil {
			return err
		}
		if first && !resumed {
			k.w.SetTotal(page.Total)
		}
		if len(page.Results) == 0 {
			break
		}
		recs := k.ordered(page.Results)
		last := k.modified(recs[len(recs)-1])
		if page.Paging.after() == "" {
			if err := k.page(ctx, recs); err != nil {
				return err
			}
			cur.Modified, cur.ID = last, ""
			if err := k.w.Checkpoint(cur); err != nil {
				return err
			}
			break
		}
		// Re-anchor: the records older than the page's last timestamp are
		// all here; those at it may go on into the next page, so the next
		// search starts from them again rather than from an offset, which
		// the search API caps at 10,000 and which a record modified
		// meanwhile would shift.
		older := recs[:slices.IndexFunc(recs, func(r *crmObject) bool { return k.modified(r) == last })]
		if len(older) == 0 {
			// A whole page at one timestamp: walk it by id.
			cur.Modified, cur.ID = last, "0"
			if err := k.tie(ctx, &cur); err != nil {
				return err
			}
			continue
		}
		if err := k.page(ctx, older); err != nil {
			return err
		}
		cur.Modified, cur.ID = k.modified(older[len(older)-1]), ""
		if err := k.w.Checkpoint(cur); err != nil {
			return err
		}
	}
	return k.archived(ctx, &cur)
}

// tie reads the records modified at exactly cur.Modified after cur.ID, in
// id order, and leaves cur past all of them.
func (k *walker) tie(ctx context.Context, cur *cursor) error {
	for {
		page, err := k.s.search(ctx, k.o, searchRequest{
			FilterGroups: []filterGroup{{Filters: []filter{
				{PropertyName: k.o.modified, Operator: "EQ", Value: millis(cur.Modified)},
				{PropertyName: "hs_object_id", Operator: "GT", Value: cur.ID},
			}}},
			Sorts:      []sortOrder{{PropertyName: "hs_object_id", Direction: "ASCENDING"}},
			Properties: k.props, Limit: searchLimit, After: "0",
		})
		if err != nil {
			return err
		}
		recs := k.ordered(page.Results)
		if len(recs) > 0 {
			if err := k.page(ctx, recs); err != nil {
				return err
			}
			cur.ID = recs[len(recs)-1].ID
		}
		more := page.Paging.after() != "" && len(recs) > 0
		if !more {
			cur.ID = ""
		}
		if len(recs) > 0 {
			if err := k.w.Checkpoint(*cur); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// archived lists the archived records, sending a tombstone for each one
// archived since the previous listing began, and checkpointing each page.
func (k *walker) archived(ctx context.Context, cur *cursor) error {
	if cur.Archive == nil {
		// Begun a little early, so that a clock ahead of HubSpot's cannot
		// skip an archival; a tombstone sent twice does no harm.
		cur.Archive = &archivePass{Start: now().Add(-settle).UnixMilli()}
	}
	for {
		page, err := k.s.listArchived(ctx, k.o, cur.Archive.After)
		if err != nil {
			return err
		}
		for _, r := range page.Results {
			at := r.UpdatedAt
			if r.ArchivedAt != nil {
				at = *r.ArchivedAt
			}
			if at.UnixMilli() < cur.ArchivedSince {
				continue
			}
			if err := k.w.Emit(k.gone(r.ID)); err != nil {
				return err
			}
		}
		if next := page.Paging.after(); next != "" && next != cur.Archive.After {
			cur.Archive.After = next
			if err := k.w.Checkpoint(*cur); err != nil {
				return err
			}
			continue
		}
		cur.ArchivedSince, cur.Archive = cur.Archive.Start, nil
		return k.w.Checkpoint(*cur)
	}
}

// modified is a record's last-modified time in Unix ms.
func (k *walker) modified(r *crmObject) int64 {
	if t, ok := instant(r.prop(k.o.modified)); ok {
		return t.UnixMilli()
	}
	return r.UpdatedAt.UnixMilli()
}

// ordered sorts a page by (last modified, id): HubSpot sorts on one
// property and leaves ties in no documented order, and a resumed read
// must emit the same records in the same order.
func (k *walker) ordered(results []crmObject) []*crmObject {
	recs := make([]*crmObject, len(results))
	for i := range results {
		recs[i] = &results[i]
	}
	slices.SortStableFunc(recs, func(a, b *crmObject) int {
		return cmp.Or(cmp.Compare(k.modified(a), k.modified(b)), compareIDs(a.ID, b.ID))
	})
	return recs
}

// compareIDs orders HubSpot's numeric ids as numbers.
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}

func millis(ms int64) string { return strconv.FormatInt(ms, 10) }

// instant reads a datetime property: HubSpot writes them in ISO 8601
// (2024-01-02T03:04:05.678Z), and some older ones as Unix milliseconds.
func instant(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
