package graph

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The codes of the limits' errors.
const (
	CodeComplexityLimitExceeded = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeRateLimited             = "RATE_LIMITED"
)

// Limits bound what one request may cost the server. The zero value of a
// field takes the default beside it.
type Limits struct {
	// MaxCost bounds an operation's cost: each field costs 1 plus its
	// children's cost times its page size (first or last, else the
	// argument's default, 20 for a connection; the number of ids of
	// nodes(ids); a list without either counts as ListCost).
	// Every alias is a field of its own, so batching by alias pays in
	// full. Default 10,000: a page of 100 accounts with their team, MRR,
	// health and 5 timeline items costs about 7,000.
	//
	// Reports and aggregates (healthSummary, retention, mrrMovements,
	// monthlyChurn, cohorts, revenueFromExisting, coverage,
	// contactPressure, handoffGaps, nps, csat, renewals, healthBacktest,
	// and the rescoring mutations) read the whole workspace, not a page:
	// each also costs ReportCost plus 1 for every AccountsPerCost
	// accounts it scans, times 1 + its window in years (days/365; a
	// report of one instant has none). The accounts are the workspace's,
	// as Options.Accounts estimates them (0 without one): a filter may
	// narrow what a report reads, but the price is its upper bound.
	// accounts{totalCount} counts them: 1 per AccountsPerCost accounts,
	// once, whatever the page size. With the defaults, on 3,000 accounts
	// a healthSummary costs 131 and a year of retention 161, plus their
	// fields; on 100,000 accounts 1,101 and 2,101: a dashboard's handful
	// of reports fits in one request, and 500 aliases of one report
	// (66,500 on 3,000 accounts) do not.
	MaxCost int
	// ReportCost is the fixed part of a report's cost. Default 100.
	ReportCost int
	// AccountsPerCost is how many scanned accounts cost 1. Default 100.
	AccountsPerCost int
	// MaxInFlight bounds the requests one API key may have running at
	// once, over every replica that shares Options.Limiter; one more is
	// refused at once with 429 RATE_LIMITED and Retry-After: 1, rather
	// than queued, so that a client that floods learns so and the pool's
	// connections stay with the others. A WebSocket does not count: its
	// operations are bounded by the cost and statement timeout. A request
	// holds its slot until it ends, or, should its process die, for the
	// longest a request may take (HeaderTimeout + BodyTimeout + Timeout,
	// 50 s by default). Default 4.
	MaxInFlight int
	// ListCost is the page size assumed for a list field without first or
	// last. Default 10.
	ListCost int
	// MaxParallel bounds the top-level fields of one operation resolved
	// at once, and so the pool's connections it holds: gqlgen resolves a
	// query's top-level fields, aliases included, all at once. With
	// MaxInFlight, a key holds at most MaxInFlight × MaxParallel
	// connections' worth of work, 8 by default, over every replica
	// sharing Options.Limiter. Default 2.
	MaxParallel int
	// MaxDepth bounds how deeply fields nest. Default 12.
	MaxDepth int
	// MaxTokens bounds the tokens of a query document, refused before it
	// is parsed whole. Default 5,000.
	MaxTokens int
	// Timeout bounds a request's work. Default 30 s.
	Timeout time.Duration
	// HeaderTimeout bounds the reading of a request's headers, and
	// BodyTimeout the reading of its body, which starts once its key is
	// checked: a client that trickles is cut off. Defaults 10 s and 10 s.
	HeaderTimeout, BodyTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request. Default 60 s.
	IdleTimeout time.Duration
	// MaxConns bounds the open connections, WebSockets included; those
	// over it wait in the kernel's backlog, unread, until one closes.
	// Default 1,000.
	MaxConns int
	// PerMinute is how many requests one API key may make a minute, in a
	// burst of up to Burst, over every replica that shares
	// Options.Limiter. Defaults 600 and 60.
	PerMinute, Burst int
}

// longest is the longest a request may take: its headers, its body and
// its work. It is the server's read and write timeout, and the lease of a
// request's slot among its key's requests in flight, so that a replica
// that dies holding slots gives them back within it.
func (l Limits) longest() time.Duration { return l.HeaderTimeout + l.BodyTimeout + l.Timeout }

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxCost, 10_000)
	def(&l.ListCost, 10)
	def(&l.MaxDepth, 12)
	def(&l.MaxTokens, 5_000)
	def(&l.PerMinute, 600)
	def(&l.Burst, 60)
	def(&l.ReportCost, 100)
	def(&l.AccountsPerCost, 100)
	def(&l.MaxInFlight, 4)
	def(&l.MaxParallel, 2)
	def(&l.MaxConns, 1_000)
	dur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	dur(&l.Timeout, 30*time.Second)
	dur(&l.HeaderTimeout, 10*time.Second)
	dur(&l.BodyTimeout, 10*time.Second)
	dur(&l.IdleTimeout, 60*time.Second)
	return l
}

// costLimit is the gqlgen extension refusing operations over the cost or
// depth limit before any resolver runs.
type costLimit struct {
	limits   Limits
	accounts AccountEstimator
}

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = costLimit{}

func (costLimit) ExtensionName() string                   { return "CostLimit" }
func (costLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (c costLimit) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	def := op.Doc.Operations.ForName(op.OperationName)
	if def == nil {
		return nil
	}
	m := measure{vars: op.Variables, listCost: c.limits.ListCost,
		reportCost: c.limits.ReportCost, accountsPerCost: c.limits.AccountsPerCost}
	if c.accounts != nil && scansAny(def.SelectionSet) {
		n, err := c.accounts.EstimateAccounts(ctx)
		if err != nil {
			// Priced as the largest workspace the defaults are made for,
			// rather than as free, while the estimate cannot be read.
			n = 100_000
		}
		m.accounts = n
	}
	cost, depth := m.selection(def.SelectionSet, 0)
	var err *gqlerror.Error
	switch {
	case depth > c.limits.MaxDepth:
		err = gqlerror.Errorf("the query nests %d fields deep; the limit is %d", depth, c.limits.MaxDepth)
	case cost > c.limits.MaxCost:
		err = gqlerror.Errorf("the query costs %d; the limit is %d (each field costs 1 plus its children times its page size, and a report what it scans: ask for smaller pages, fewer fields or fewer reports)", cost, c.limits.MaxCost)
	default:
		return nil
	}
	errcode.Set(err, CodeComplexityLimitExceeded)
	return err
}

// suggestion is the "did you mean" tail of a validation message.
var suggestion = regexp.MustCompile(`\s*Did you mean [^?]*\?`)

// withoutSuggestions strips validation messages of their suggestions,
// which would let a stranger map the schema field by field with
// introspection off.
func withoutSuggestions(present graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		e := present(ctx, err)
		e.Message = suggestion.ReplaceAllString(e.Message, "")
		return e
	}
}

// measure computes an operation's cost and depth.
type measure struct {
	vars     map[string]any
	listCost int
	// accounts is the workspace's estimated size, which the reports are
	// priced by; reportCost and accountsPerCost price them.
	accounts, reportCost, accountsPerCost int
}

// selection returns the cost and depth of a selection set. Introspection
// fields (__schema, __type, __typename) are free: introspection is off in
// production.
func (m measure) selection(set ast.SelectionSet, depth int) (cost, maxDepth int) {
	perItem, once, maxDepth := m.split(set, depth)
	return saturatingAdd(perItem, once), maxDepth
}

// split returns the cost of a selection set in two parts: what is paid
// for each item of the page the set is selected on, and what is paid once
// for the page, such as a total count.
func (m measure) split(set ast.SelectionSet, depth int) (perItem, once, maxDepth int) {
	maxDepth = depth
	for _, sel := range set {
		var p, o, d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			children, childOnce, cd := m.split(s.SelectionSet, depth+1)
			c := saturatingAdd(1, saturatingAdd(m.scanCost(s), saturatingAdd(saturatingMul(m.pageSize(s), children), childOnce)))
			d = cd
			if s.ObjectDefinition != nil && counts[s.ObjectDefinition.Name+"."+s.Name] {
				o = c
			} else {
				p = c
			}
		case *ast.InlineFragment:
			p, o, d = m.split(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				p, o, d = m.split(s.Definition.SelectionSet, depth)
			}
		}
		perItem = saturatingAdd(perItem, p)
		once = saturatingAdd(once, o)
		maxDepth = max(maxDepth, d)
	}
	return perItem, once, maxDepth
}

// pageSize is how many of its children a field multiplies: its first or
// last, else the default of its first (defaultPage for a connection, whose
// first has none in the schema), else, for nodes(ids), the number of ids.
// The edges and nodes of a connection multiply nothing: the connection's
// page size already counted them.
func (m measure) pageSize(f *ast.Field) int {
	if f.Name == "edges" || f.Name == "nodes" && f.Arguments.ForName("ids") == nil {
		return 1
	}
	for _, name := range []string{"first", "last"} {
		if n, ok := m.intArg(f, name); ok {
			return max(n, 1)
		}
	}
	if f.Definition != nil && f.Definition.Arguments.ForName("last") != nil {
		return defaultPage
	}
	if n, ok := m.listArg(f, "ids"); ok {
		return max(n, 1)
	}
	if f.Definition != nil && f.Definition.Type.Elem != nil {
		return m.listCost
	}
	return 1
}

// listArg is the length of a list argument, given in the query or in a
// variable.
func (m measure) listArg(f *ast.Field, name string) (int, bool) {
	a := f.Arguments.ForName(name)
	if a == nil {
		return 0, false
	}
	v, err := a.Value.Value(m.vars)
	if err != nil {
		return 0, false
	}
	list, ok := v.([]any)
	return len(list), ok
}

// intArg is the value of an Int argument, given or by default.
func (m measure) intArg(f *ast.Field, name string) (int, bool) {
	if a := f.Arguments.ForName(name); a != nil {
		v, err := a.Value.Value(m.vars)
		if err == nil {
			switch n := v.(type) {
			case int64:
				return clampInt(n), true
			case int:
				return n, true
			case float64:
				return clampInt(int64(n)), true
			}
		}
	}
	if f.Definition != nil {
		if d := f.Definition.Arguments.ForName(name); d != nil && d.DefaultValue != nil {
			if n, err := strconv.Atoi(d.DefaultValue.Raw); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

func clampInt(n int64) int {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n)
}

func saturatingAdd(a, b int) int {
	if a > math.MaxInt32-b {
		return math.MaxInt32
	}
	return a + b
}

func saturatingMul(a, b int) int {
	if a != 0 && b > math.MaxInt32/a {
		return math.MaxInt32
	}
	return a * b
}

type parallelKey struct{}

// boundParallel gives each operation, over HTTP or a WebSocket, MaxParallel
// slots for its top-level fields.
func boundParallel(n int) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if ctx.Value(parallelKey{}) == nil {
			ctx = context.WithValue(ctx, parallelKey{}, make(chan struct{}, n))
		}
		return next(ctx)
	}
}

// parallelRoots resolves a top-level field in one of its operation's
// slots, waiting for one to free. A request out of time goes on at once,
// to fail in its resolver with the request's timeout.
func parallelRoots(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	slots, _ := ctx.Value(parallelKey{}).(chan struct{})
	if slots == nil {
		return next(ctx)
	}
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
	}
	return next(ctx)
}
