package graph

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pulseproject/pulse/domain"
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
	MaxCost int
	// ListCost is the page size assumed for a list field without first or
	// last. Default 10.
	ListCost int
	// MaxDepth bounds how deeply fields nest. Default 12.
	MaxDepth int
	// MaxTokens bounds the tokens of a query document, refused before it
	// is parsed whole. Default 5,000.
	MaxTokens int
	// Timeout bounds a request's work. Default 30 s.
	Timeout time.Duration
	// PerMinute is how many requests one API key may make a minute, in a
	// burst of up to Burst. Defaults 600 and 60.
	PerMinute, Burst int
}

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
	if l.Timeout == 0 {
		l.Timeout = 30 * time.Second
	}
	return l
}

// costLimit is the gqlgen extension refusing operations over the cost or
// depth limit before any resolver runs.
type costLimit struct{ limits Limits }

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = costLimit{}

func (costLimit) ExtensionName() string                   { return "CostLimit" }
func (costLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (c costLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	def := op.Doc.Operations.ForName(op.OperationName)
	if def == nil {
		return nil
	}
	m := measure{vars: op.Variables, listCost: c.limits.ListCost}
	cost, depth := m.selection(def.SelectionSet, 0)
	var err *gqlerror.Error
	switch {
	case depth > c.limits.MaxDepth:
		err = gqlerror.Errorf("the query nests %d fields deep; the limit is %d", depth, c.limits.MaxDepth)
	case cost > c.limits.MaxCost:
		err = gqlerror.Errorf("the query costs %d; the limit is %d (each field costs 1 plus its children times its page size: ask for smaller pages or fewer fields)", cost, c.limits.MaxCost)
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
}

// selection returns the cost and depth of a selection set. Introspection
// fields (__schema, __type, __typename) are free: introspection is off in
// production.
func (m measure) selection(set ast.SelectionSet, depth int) (cost, maxDepth int) {
	maxDepth = depth
	for _, sel := range set {
		var c, d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			children, cd := m.selection(s.SelectionSet, depth+1)
			c, d = saturatingAdd(1, saturatingMul(m.pageSize(s), children)), cd
		case *ast.InlineFragment:
			c, d = m.selection(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				c, d = m.selection(s.Definition.SelectionSet, depth)
			}
		}
		cost = saturatingAdd(cost, c)
		maxDepth = max(maxDepth, d)
	}
	return cost, maxDepth
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

// rateLimiter keeps a token bucket per API key. The buckets live in this
// process: each replica limits on its own, which bounds a key to replicas
// × the rate.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens a second
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perMinute, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: float64(perMinute) / 60, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// take spends a token of key's bucket, or says how long until one is
// there.
func (l *rateLimiter) take(key string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// limitRate answers 429 RATE_LIMITED, with Retry-After, when the request's
// key has spent its allowance.
func (l *rateLimiter) limitRate(w http.ResponseWriter, key *domain.APIKey) bool {
	ok, wait := l.take(key.ID.String())
	if ok {
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprintf(w, `{"errors":[{"message":"this API key made too many requests; retry in %d s","extensions":{"code":%q,"retryAfterSeconds":%d}}]}`, secs, CodeRateLimited, secs)
	return false
}
