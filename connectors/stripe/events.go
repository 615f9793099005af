package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"
)

// cursor is a stream's checkpoint.
type cursor struct {
	// Listed is true once the full listing is done.
	Listed bool `json:"listed"`
	// After is the last object of the listing committed.
	After string `json:"after,omitempty"`
	// Since is when the listing began (Unix seconds): events before it
	// are reflected in the listing.
	Since int64 `json:"since"`
	// Event is the last event handled.
	Event string `json:"event,omitempty"`
}

// listingMargin is subtracted from the clock when a listing begins, so
// that events stamped by a Stripe clock a little behind ours are not
// taken as already listed.
const listingMargin = 5 * time.Minute

// event is what the connector reads of an event: its object's id and the
// references it needs to know which object to re-read.
type event struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object struct {
			ID           string `json:"id"`
			Object       string `json:"object"`
			Subscription string `json:"subscription"`
			Parent       *struct {
				SubscriptionDetails *struct {
					Subscription string `json:"subscription"`
				} `json:"subscription_details"`
			} `json:"parent"`
		} `json:"object"`
	} `json:"data"`
}

// objectStream is a stream read as a listing followed by events.
type objectStream struct {
	name string
	// list is the list endpoint and its query.
	list  string
	query url.Values
	// types are the event types that change the stream's objects.
	types []string
	// replay reports whether an event older than the listing is still
	// applied (a deletion the listing cannot show).
	replay func(e *event) bool
	// target is the object an event asks to re-read, or "" for none.
	target func(e *event) string
	// deleted emits what an event deleting id means, reporting false
	// when the event is no deletion and the object must be re-read.
	deleted func(e *event, w *sdk.Writer) (bool, error)
	// emit writes the records of one listed or re-read object.
	emit func(ctx context.Context, s *session, raw json.RawMessage, w *sdk.Writer) error
	// get re-reads one object.
	get func(ctx context.Context, s *session, id string) (json.RawMessage, error)
}

// now is the clock a listing is dated by.
var now = time.Now

func (o *objectStream) read(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
	s, err := connect(raw)
	if err != nil {
		return err
	}
	var c cursor
	if _, err := state.Decode(&c); err != nil {
		return err
	}
	if !c.Listed {
		if c.Since == 0 {
			c.Since = now().Add(-listingMargin).Unix()
		}
		for {
			p, err := s.listPage(ctx, o.list, o.query, c.After, "")
			if err != nil {
				return err
			}
			for _, obj := range p.Data {
				if err := o.emit(ctx, s, obj, w); err != nil {
					return err
				}
			}
			if len(p.Data) > 0 {
				var last struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal(p.Data[len(p.Data)-1], &last); err != nil {
					return fmt.Errorf("stripe: %s: decode: %w", o.name, err)
				}
				c.After = last.ID
			}
			if !p.HasMore || len(p.Data) == 0 {
				break
			}
			if err := w.Checkpoint(c); err != nil {
				return err
			}
		}
		c.Listed, c.After = true, ""
		if err := w.Checkpoint(c); err != nil {
			return err
		}
	}
	return o.follow(ctx, s, c, w)
}

// follow handles the events after c.Event, oldest first, 100 at a time,
// re-reading each object once per batch and checkpointing after it.
func (o *objectStream) follow(ctx context.Context, s *session, c cursor, w *sdk.Writer) error {
	events, err := o.events(ctx, s, c.Event)
	if err != nil {
		return err
	}
	for len(events) > 0 {
		n := min(100, len(events))
		batch := events[:n]
		events = events[n:]
		// The last event of an object in the batch decides what it is.
		lastOf := map[string]int{}
		for i, e := range batch {
			if e.Created < c.Since && !o.replay(&e) {
				continue
			}
			if id := o.target(&e); id != "" {
				lastOf[id] = i
			}
		}
		for i, e := range batch {
			id := o.target(&e)
			if j, ok := lastOf[id]; !ok || j != i {
				continue
			}
			done, err := o.deleted(&e, w)
			if err != nil {
				return err
			}
			if done {
				continue
			}
			obj, err := o.get(ctx, s, id)
			if err != nil {
				return err
			}
			if err := o.emit(ctx, s, obj, w); err != nil {
				return err
			}
		}
		c.Event = batch[n-1].ID
		if err := w.Checkpoint(c); err != nil {
			return err
		}
	}
	return nil
}

// events lists the stream's events after the event id from, oldest first:
// pages just newer than the last (ending_before) from a known event, or
// every retained event, newest first, then reversed.
func (o *objectStream) events(ctx context.Context, s *session, from string) ([]event, error) {
	q := url.Values{"types[]": o.types}
	var out []event
	decode := func(p *page) ([]event, error) {
		evs := make([]event, 0, len(p.Data))
		for _, raw := range p.Data {
			var e event
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, fmt.Errorf("stripe: %s: decode event: %w", o.name, err)
			}
			evs = append(evs, e)
		}
		slices.Reverse(evs) // Stripe lists newest first
		return evs, nil
	}
	if from != "" {
		for before := from; ; {
			p, err := s.listPage(ctx, "/v1/events", q, "", before)
			if err != nil {
				return nil, err
			}
			evs, err := decode(p)
			if err != nil {
				return nil, err
			}
			out = append(out, evs...)
			if !p.HasMore || len(evs) == 0 {
				return out, nil
			}
			before = evs[len(evs)-1].ID
		}
	}
	var pages [][]event
	for after := ""; ; {
		p, err := s.listPage(ctx, "/v1/events", q, after, "")
		if err != nil {
			return nil, err
		}
		evs, err := decode(p)
		if err != nil {
			return nil, err
		}
		pages = append(pages, evs)
		if !p.HasMore || len(evs) == 0 {
			break
		}
		after = evs[0].ID // the oldest of this page
	}
	for i := len(pages) - 1; i >= 0; i-- {
		out = append(out, pages[i]...)
	}
	return out, nil
}
