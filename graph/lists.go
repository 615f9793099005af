package graph

import (
	"context"
	"encoding/json"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/vikstrous/dataloadgen"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/identity"
	"github.com/pulseproject/pulse/graph/model"
)

// This file turns the connections' arguments into the domain's queries,
// and loads the pages of the lists under an account (or a source) with
// those of the other owners on the page that ask for the same page.

// orders turns a connection's orderBy into the domain's order, refusing a
// key given twice; key reads an input's field and direction.
func orders[I any, K ~string](in []I, key func(I) (K, model.SortDirection)) ([]domain.Order[K], error) {
	out := make([]domain.Order[K], len(in))
	for i, o := range in {
		by, dir := key(o)
		out[i] = domain.Order[K]{By: by, Desc: dir == model.SortDirectionDesc}
	}
	if p := domain.CheckOrder("orderBy", out); p != nil {
		return nil, domain.Invalid(*p)
	}
	return out, nil
}

// problems collects the problems of a filter, each naming its field
// under filter.
type problems domain.Problems

func (p *problems) add(e *domain.FieldError) {
	if e != nil {
		e.Field = "filter." + e.Field
		*p = append(*p, *e)
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &domain.InputError{Problems: domain.Problems(p)}
}

func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func timeRange(p *problems, field string, r *domain.TimeRange) domain.TimeRange {
	if r == nil {
		return domain.TimeRange{}
	}
	p.add(r.Check(field))
	return *r
}

func intRange(p *problems, field string, r *model.IntRange) domain.Range[int] {
	if r == nil {
		return domain.Range[int]{}
	}
	out := domain.Range[int]{Min: r.Min, Max: r.Max}
	p.add(domain.CheckRange(field, out, func(a, b int) bool { return a < b }))
	return out
}

func floatRange(p *problems, field string, r *model.FloatRange) domain.Range[float64] {
	if r == nil {
		return domain.Range[float64]{}
	}
	out := domain.Range[float64]{Min: r.Min, Max: r.Max}
	p.add(domain.CheckRange(field, out, func(a, b float64) bool { return a < b }))
	return out
}

func decimalRange(p *problems, field string, r *model.DecimalRange) domain.Range[decimal.Decimal] {
	if r == nil {
		return domain.Range[decimal.Decimal]{}
	}
	out := domain.Range[decimal.Decimal]{Min: r.Min, Max: r.Max}
	p.add(domain.CheckRange(field, out, decimal.Decimal.LessThan))
	return out
}

func accountFilter(f *model.AccountFilter) (domain.AccountFilter, error) {
	if f == nil {
		return domain.AccountFilter{}, nil
	}
	var p problems
	out := domain.AccountFilter{Tiers: f.Tier, Segments: f.Segment, Lifecycles: f.Lifecycle, OwnerID: f.OwnerID,
		NameContains: text(f.NameContains)}
	if r := f.RenewalDate; r != nil {
		out.RenewalDate = domain.Range[time.Time]{Min: r.From, Max: r.To}
		p.add(domain.CheckRange("renewalDate", out.RenewalDate, time.Time.Before))
	}
	for _, b := range f.Health {
		out.HealthBands = append(out.HealthBands, string(bandOf(b)))
	}
	return out, p.err()
}

func contactFilter(f *model.ContactFilter) domain.ContactFilter {
	if f == nil {
		return domain.ContactFilter{}
	}
	return domain.ContactFilter{Search: text(f.Search), Emails: f.Email, TitleContains: text(f.TitleContains)}
}

func ticketFilter(f *model.TicketFilter) (domain.TicketFilter, error) {
	if f == nil {
		return domain.TicketFilter{}, nil
	}
	var p problems
	out := domain.TicketFilter{Statuses: f.Status, Priorities: f.Priority, OpenedAt: timeRange(&p, "openedAt", f.OpenedAt),
		SubjectContains: text(f.SubjectContains)}
	return out, p.err()
}

func dealFilter(f *model.DealFilter) (domain.DealFilter, error) {
	if f == nil {
		return domain.DealFilter{}, nil
	}
	var p problems
	out := domain.DealFilter{Statuses: f.Status, Kinds: f.Kind, Stages: f.Stage, ClosedAt: timeRange(&p, "closedAt", f.ClosedAt),
		Amount: decimalRange(&p, "amount", f.Amount), NameContains: text(f.NameContains)}
	return out, p.err()
}

func surveyFilter(f *model.SurveyFilter) (domain.SurveyFilter, error) {
	if f == nil {
		return domain.SurveyFilter{}, nil
	}
	var p problems
	out := domain.SurveyFilter{Kinds: f.Kind, Touchpoints: f.Touchpoint, Score: intRange(&p, "score", f.Score),
		RespondedAt: timeRange(&p, "respondedAt", f.RespondedAt), CommentContains: text(f.CommentContains)}
	return out, p.err()
}

func syncRunFilter(f *model.SyncRunFilter) (domain.SyncRunFilter, error) {
	if f == nil {
		return domain.SyncRunFilter{}, nil
	}
	var p problems
	out := domain.SyncRunFilter{Statuses: f.Status, Triggers: f.Trigger, StartedAt: timeRange(&p, "startedAt", f.StartedAt)}
	return out, p.err()
}

func suggestionFilter(f *model.IdentitySuggestionFilter) (identity.SuggestionFilter, error) {
	if f == nil {
		return identity.SuggestionFilter{}, nil
	}
	var p problems
	out := identity.SuggestionFilter{MatchedBy: f.MatchedBy, Confidence: floatRange(&p, "confidence", f.Confidence),
		CreatedAt: timeRange(&p, "createdAt", f.CreatedAt), AccountID: f.AccountID}
	return out, p.err()
}

// listKey tells apart the loaders of one list asked with different
// arguments: its name and the arguments as JSON.
func listKey(name string, args any) string {
	// The queries hold strings, numbers, ids and times, which always
	// encode.
	b, _ := json.Marshal(args)
	return name + " " + string(b)
}

// listLoader is the request's loader of key, made of fetch the first time
// it is asked for.
func listLoader[V any](ctx context.Context, key string, fetch func(context.Context, []uuid.UUID) ([]V, []error)) *dataloadgen.Loader[uuid.UUID, V] {
	r := requestOf(ctx)
	r.listMu.Lock()
	defer r.listMu.Unlock()
	l, ok := r.lists[key].(*dataloadgen.Loader[uuid.UUID, V])
	if !ok {
		l = dataloadgen.NewLoader(fetch, r.loaderOpts...)
		r.lists[key] = l
	}
	return l
}

// loadPage loads owner's page of the list name that q asks for, with the
// pages of the other owners asking for the same one: a page of accounts
// with their 5 latest deals costs one statement for the deals.
func loadPage[Q, P any](ctx context.Context, name string, q Q, owner uuid.UUID, fetch func(context.Context, []uuid.UUID, Q) (map[uuid.UUID]P, error)) (P, error) {
	l := listLoader(ctx, listKey(name, q), byKey(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]P, error) {
		return fetch(ctx, ids, q)
	}, func(p P, _ bool) P { return p }))
	return l.Load(ctx, owner)
}

// loadList loads owner's page of the list name that q asks for, as
// loadPage does, and its total of the rows f keeps. When the query asks
// for totalCount, the totals of every owner are read in the same batch as
// the pages, so that they cost one statement more however many owners ask;
// otherwise the total is counted only if asked for after all.
func loadList[Q, F, P any](ctx context.Context, name string, owner uuid.UUID, q Q, f F,
	pages func(context.Context, []uuid.UUID, Q) (map[uuid.UUID]P, error),
	counts func(context.Context, []uuid.UUID, F) (map[uuid.UUID]int, error),
) (P, model.Total, error) {
	type withTotal struct {
		page  P
		total int
	}
	if !asksFor(ctx, "totalCount") {
		page, err := loadPage(ctx, name, q, owner, pages)
		return page, model.Total{Count: func(ctx context.Context) (int, error) { return count(ctx, name, f, owner, counts) }}, err
	}
	l := listLoader(ctx, listKey(name+" with totals", q), byKey(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]withTotal, error) {
		ps, err := pages(ctx, ids, q)
		if err != nil {
			return nil, err
		}
		ns, err := counts(ctx, ids, f)
		if err != nil {
			return nil, err
		}
		out := make(map[uuid.UUID]withTotal, len(ps))
		for id, p := range ps {
			out[id] = withTotal{p, ns[id]}
		}
		return out, nil
	}, func(v withTotal, _ bool) withTotal { return v }))
	v, err := l.Load(ctx, owner)
	return v.page, model.Total{Count: func(context.Context) (int, error) { return v.total, nil }}, err
}

// count counts owner's rows of the list name that f keeps, with those of
// the other owners counted at the same moment.
func count[F any](ctx context.Context, name string, f F, owner uuid.UUID, fetch func(context.Context, []uuid.UUID, F) (map[uuid.UUID]int, error)) (int, error) {
	l := listLoader(ctx, listKey("count "+name, f), byKey(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]int, error) {
		return fetch(ctx, ids, f)
	}, func(n int, _ bool) int { return n }))
	return l.Load(ctx, owner)
}

// asksFor reports whether the query asks the field being resolved for its
// field name, in any fragment.
func asksFor(ctx context.Context, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return false
	}
	var satisfies []string
	if fc.Field.Definition != nil {
		satisfies = []string{fc.Field.Definition.Type.Name()}
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, satisfies) {
		if f.Name == name {
			return true
		}
	}
	return false
}
