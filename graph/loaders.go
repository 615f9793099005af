package graph

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
)

// request is what one HTTP request's resolvers share: its instant, so that
// every "now" of a response is the same one, and the dataloaders, which
// gather the loads of a page's rows into one statement per kind and cache
// them for the length of the request.
type request struct {
	now time.Time
	// loaderOpts are given to every loader the request makes.
	loaderOpts []dataloadgen.Option
	team       *dataloadgen.Loader[uuid.UUID, []domain.AccountTeamMember]
	account    *dataloadgen.Loader[uuid.UUID, *domain.Account]
	person     *dataloadgen.Loader[uuid.UUID, *domain.Person]
	source     *dataloadgen.Loader[uuid.UUID, *domain.Source]
	mrr        *dataloadgen.Loader[mrrKey, domain.Money]
	lastRun    *dataloadgen.Loader[uuid.UUID, *domain.SyncRun]
	// lastTouch and openTickets serve the account fields of those names.
	lastTouch   *dataloadgen.Loader[lastTouchKey, *domain.Activity]
	openTickets *dataloadgen.Loader[uuid.UUID, int]
	// health serves Account.health; see healthLoader.
	healthOnce sync.Once
	health     *dataloadgen.Loader[uuid.UUID, *health.Snapshot]
	// lists gathers the pages of the lists under a page's accounts (their
	// timelines, deals, contacts...) and their counts, one loader per list
	// and set of arguments, so that a page of accounts with their 5 latest
	// events costs a constant number of statements (see loadPage); and
	// the records of node(id), one loader per kind (see loadByID).
	listMu sync.Mutex
	lists  map[string]any
	// nodeKind says which kind of record an id names, for node(id).
	nodeKind *dataloadgen.Loader[uuid.UUID, domain.NodeKind]
}

// lastTouchKey asks for an account's last touch, by any team ("") or one.
type lastTouchKey struct {
	account uuid.UUID
	team    string
}

// mrrKey asks for an account's MRR at an instant, in UTC so that equal
// instants are equal keys.
type mrrKey struct {
	account uuid.UUID
	at      time.Time
}

type requestKey struct{}

func newRequest(now time.Time, backend Backend, sources SourceService, wait time.Duration) *request {
	var opts []dataloadgen.Option
	if wait > 0 {
		opts = append(opts, dataloadgen.WithWait(wait))
	}
	return &request{
		now:        now,
		loaderOpts: opts,
		team: dataloadgen.NewLoader(byKey(backend.TeamMembers, func(m []domain.AccountTeamMember, _ bool) []domain.AccountTeamMember {
			if m == nil {
				return []domain.AccountTeamMember{}
			}
			return m
		}), opts...),
		account: dataloadgen.NewLoader(byKey(backend.AccountsByID, pointerIfFound[domain.Account]), opts...),
		person:  dataloadgen.NewLoader(byKey(backend.People, pointerIfFound[domain.Person]), opts...),
		source: dataloadgen.NewLoader(byKey(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Source, error) {
			// Sources are few: listing them all is one cheap statement
			// whatever the number asked for.
			list, err := sources.List(ctx)
			if err != nil {
				return nil, err
			}
			out := make(map[uuid.UUID]domain.Source, len(list))
			for _, s := range list {
				out[s.ID] = s
			}
			return out, nil
		}, pointerIfFound[domain.Source]), opts...),
		mrr: dataloadgen.NewLoader(byKey(func(ctx context.Context, keys []mrrKey) (map[mrrKey]domain.Money, error) {
			// One statement per instant: a response mostly asks for one.
			byAt := map[time.Time][]uuid.UUID{}
			for _, k := range keys {
				byAt[k.at] = append(byAt[k.at], k.account)
			}
			out := make(map[mrrKey]domain.Money, len(keys))
			for at, ids := range byAt {
				m, err := backend.MRR(ctx, ids, at)
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					out[mrrKey{id, at}] = m[id]
				}
			}
			return out, nil
		}, func(m domain.Money, _ bool) domain.Money { return m }), opts...),
		lastRun: dataloadgen.NewLoader(byKey(backend.LastSyncRuns, pointerIfFound[domain.SyncRun]), opts...),
		lastTouch: dataloadgen.NewLoader(byKey(func(ctx context.Context, keys []lastTouchKey) (map[lastTouchKey]domain.Activity, error) {
			byTeam := map[string][]uuid.UUID{}
			for _, k := range keys {
				byTeam[k.team] = append(byTeam[k.team], k.account)
			}
			out := map[lastTouchKey]domain.Activity{}
			for team, ids := range byTeam {
				m, err := backend.LastTouches(ctx, ids, team, now)
				if err != nil {
					return nil, err
				}
				for id, a := range m {
					out[lastTouchKey{id, team}] = a
				}
			}
			return out, nil
		}, pointerIfFound[domain.Activity]), opts...),
		openTickets: dataloadgen.NewLoader(byKey(backend.OpenTicketCounts, func(n int, _ bool) int { return n }), opts...),
		lists:       map[string]any{},
		nodeKind:    dataloadgen.NewLoader(byKey(backend.NodeKinds, func(k domain.NodeKind, _ bool) domain.NodeKind { return k }), opts...),
	}
}

// byKey adapts a fetch answering with a map to dataloadgen's slices in the
// order of the keys; value turns the map's entry for a key, and whether
// there was one, into the loader's value.
func byKey[K comparable, M, V any](fetch func(context.Context, []K) (map[K]M, error), value func(M, bool) V) func(context.Context, []K) ([]V, []error) {
	return func(ctx context.Context, keys []K) ([]V, []error) {
		m, err := fetch(ctx, keys)
		if err != nil {
			return nil, []error{err}
		}
		out := make([]V, len(keys))
		for i, k := range keys {
			v, ok := m[k]
			out[i] = value(v, ok)
		}
		return out, nil
	}
}

// pointerIfFound is nil for an id the backend did not find: a record whose
// source or teammate is gone.
func pointerIfFound[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

func withRequest(ctx context.Context, r *request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestOf(ctx context.Context) *request {
	return ctx.Value(requestKey{}).(*request)
}
