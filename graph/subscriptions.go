package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/graph/model"
)

// Events subscribes to the notifications every Pulse process publishes;
// *events.Listener implements it.
type Events interface {
	Subscribe(topic events.Topic) (*events.Subscription, error)
}

// errNoEvents answers a subscription on a handler built without Events.
var errNoEvents = errors.New("graph: subscriptions are not configured on this server")

// feed subscribes to topic and sends on the returned channel what each
// notification turns into, until ctx ends or the subscription is closed
// (the subscriber fell behind, or the server stops), when the channel is
// closed and the GraphQL subscription completes. turn reads what the
// notification names; it reports false to skip one, and its errors are
// logged by skipping: a subscriber gets the next event instead.
func feed[T any](ctx context.Context, ev Events, topic events.Topic, turn func(context.Context, events.Notification) (T, bool)) (<-chan T, error) {
	if ev == nil {
		return nil, errNoEvents
	}
	sub, err := ev.Subscribe(topic)
	if err != nil {
		return nil, fmt.Errorf("graph: subscribe: %w", err)
	}
	out := make(chan T)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case n, ok := <-sub.C:
				if !ok {
					return
				}
				v, ok := turn(ctx, n)
				if !ok {
					continue
				}
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// syncRunFeed sends the runs of sourceID as stored when each notification
// about them arrives.
func (r *Resolver) syncRunFeed(ctx context.Context, sourceID uuid.UUID) (<-chan *domain.SyncRun, error) {
	if _, err := r.sources.Get(ctx, sourceID); err != nil {
		return nil, err
	}
	return feed(ctx, r.events, events.SyncRuns, func(ctx context.Context, n events.Notification) (*domain.SyncRun, bool) {
		var c events.SyncRunChanged
		if err := n.Decode(&c); err != nil || c.SourceID != sourceID {
			return nil, false
		}
		run, err := r.backend.SyncRun(ctx, c.RunID)
		if err != nil {
			return nil, false
		}
		return run, true
	})
}

// healthFeed sends the health changes f keeps, with their accounts.
func (r *Resolver) healthFeed(ctx context.Context, f *model.HealthChangeFilter) (<-chan *model.HealthChange, error) {
	if f == nil {
		f = &model.HealthChangeFilter{}
	}
	return feed(ctx, r.events, events.Health, func(ctx context.Context, n events.Notification) (*model.HealthChange, bool) {
		var c events.HealthChanged
		if err := n.Decode(&c); err != nil {
			return nil, false
		}
		change := &model.HealthChange{AccountID: c.AccountID, To: band(c.To), Score: c.Score, At: c.At}
		if c.From != "" {
			from := band(c.From)
			change.From = &from
		}
		if !keeps(f, change, c.Tier) {
			return nil, false
		}
		account, err := r.backend.Account(ctx, c.AccountID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
		case err != nil:
			return nil, false
		default:
			change.Account = account
		}
		return change, true
	})
}

// band is the schema's name of a band published in lower case.
func band(s string) model.HealthBand { return model.HealthBand(strings.ToUpper(s)) }

// keeps reports whether c, of an account of tier, matches every list of f.
func keeps(f *model.HealthChangeFilter, c *model.HealthChange, tier string) bool {
	if len(f.AccountIds) > 0 && !slices.Contains(f.AccountIds, c.AccountID) {
		return false
	}
	if len(f.Tier) > 0 && !slices.Contains(f.Tier, tier) {
		return false
	}
	if len(f.Bands) > 0 && !slices.Contains(f.Bands, c.To) && (c.From == nil || !slices.Contains(f.Bands, *c.From)) {
		return false
	}
	return true
}
