package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph/graphiql"
	"github.com/pulseproject/pulse/graph/webapp"
)

// MaxRequestBytes bounds a request's body. A query with its variables fits
// in it many times over; a larger body is a mistake or an attack, refused
// before it is read into memory whole.
const MaxRequestBytes = 1 << 20

// Options tune the handler; the zero value is ready to use.
type Options struct {
	// Logger receives the internal errors hidden from clients; nil means
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock that "now" is read from, once per request; nil
	// means time.Now.
	Now func() time.Time
	// Limits bound what a request may cost; zero fields take defaults.
	Limits Limits
	// Accounts estimates the workspace's size, which reports are priced
	// by (see Limits.MaxCost); nil prices them at ReportCost alone.
	Accounts AccountEstimator
	// LoaderWait is how long a dataloader gathers the keys a response's
	// resolvers ask for before it loads them in one statement; zero means
	// dataloadgen's 16 ms. Tests that count statements lengthen it, so that
	// a slow machine does not split a batch.
	LoaderWait time.Duration
	// Production turns off introspection, GraphiQL and the "did you mean"
	// suggestions of validation errors, which map the schema for a
	// stranger.
	Production bool
	// Keys authenticates requests by their bearer API key; nil lets every
	// request in as an admin, which only tests and embedders should want.
	Keys Authenticator
	// Limiter keeps each key's allowance (Limits.PerMinute, Burst and
	// MaxInFlight); nil keeps it in this process alone, so that each
	// replica allows a key as much again.
	Limiter Limiter
	// APIKeys lets admins list, create and revoke keys over GraphQL; nil
	// answers those fields INTERNAL.
	APIKeys APIKeyService
	// Revenue, Engagement and Health answer the RevOps, engagement and
	// health reports.
	Revenue    RevenueReports
	Engagement EngagementReports
	Health     HealthService
	// Identity keeps one account per customer: suggestions, merges,
	// splits and matching settings.
	Identity IdentityService
	// Events feeds the subscriptions, served over WebSocket at /query;
	// nil answers them INTERNAL.
	Events Events
	// KeepAlive is how often a WebSocket is pinged; a graphql-transport-ws
	// client that does not pong within twice that is dropped. Zero means
	// 15s.
	KeepAlive time.Duration
	// Extensions are added to the GraphQL server after Pulse's own, such
	// as metrics and tracing.
	Extensions []graphql.HandlerExtension
	// CORSOrigins are the origins, such as "https://app.example.com", whose
	// pages may call /query from a browser; none by default. See cors.
	CORSOrigins []string
}

// NewHandler serves the API: POST and GET /query for GraphQL (with @defer
// delivered incrementally to a client that accepts multipart/mixed),
// OPTIONS /query for CORS preflights, GET /app/ for the Pulse app (see
// package webapp), and GET / for GraphiQL, which posts to /query, with its
// assets under /graphiql/ (not under Production).
func NewHandler(backend Backend, sources SourceService, syncs SyncRunner, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{
		backend: backend, sources: sources, syncs: syncs,
		revenue: opts.Revenue, engagement: opts.Engagement, health: opts.Health,
		identity: opts.Identity, apiKeys: opts.APIKeys, events: opts.Events,
	}})
	srv := handler.New(schema)
	limits := opts.Limits.withDefaults()
	srv.AddTransport(getTransport{})
	// Before POST, which would take a multipart/mixed request too and
	// answer a query with @defer in one response.
	srv.AddTransport(transport.MultipartMixed{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(limits.MaxTokens)
	// Automatic persisted queries: a client sends a query's SHA-256 alone
	// once the server has seen the query, saving the bytes of big queries.
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(deliverWhole{schema: schema.Schema()})
	srv.Use(costLimit{limits: limits, accounts: opts.Accounts})
	for _, x := range opts.Extensions {
		srv.Use(x)
	}
	if opts.Production {
		srv.SetDisableSuggestion(true)
		srv.Use(noIntrospection{})
	} else {
		srv.Use(extension.Introspection{})
	}
	present := presentError(opts.Logger)
	if opts.Production {
		present = withoutSuggestions(present)
	}
	srv.SetErrorPresenter(present)
	srv.SetRecoverFunc(recoverPanic)
	srv.AroundFields(authorize)
	srv.AroundFields(splitProblems)
	srv.AroundOperations(noteOperation)
	srv.AroundResponses(freshLoaders(opts.Now, backend, sources, opts.LoaderWait))
	srv.AroundResponses(boundParallel(limits.MaxParallel))
	srv.AroundRootFields(parallelRoots)

	limiter := opts.Limiter
	if limiter == nil {
		limiter = newLocalLimiter(time.Now)
	}
	allowance := limits.allowance()
	srv.AddTransport(websocket(opts.Keys, limiter, allowance, opts.KeepAlive))
	query := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) {
			// Authenticated by its connection_init, for as long as it
			// stays open.
			srv.ServeHTTP(w, r)
			return
		}
		// The key is checked, and the key's allowance, before a byte of
		// the body is read: a refused client's body is never waited for.
		if r.ContentLength != 0 {
			w.Header().Set("Connection", "close")
		}
		ctx, ok := authenticate(opts.Keys, w, r)
		if ok && opts.Keys != nil {
			var lease domain.Lease
			if lease, ok = admit(ctx, limiter, allowance, opts.Logger, w); ok {
				defer release(ctx, limiter, lease, opts.Logger)
			}
		}
		if !ok {
			dropBody(w, r)
			return
		}
		w.Header().Del("Connection")
		if !limitBody(w, r, limits) {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, limits.Timeout)
		defer cancel()
		ctx = withRequest(ctx, newRequest(opts.Now(), backend, sources, opts.LoaderWait))
		ctx = withIncremental(ctx, r)
		if !strings.Contains(r.Header.Get("Accept"), "application/graphql-response+json") {
			w = jsonStatus{w}
		}
		srv.ServeHTTP(w, r.WithContext(ctx))
	})
	mux := http.NewServeMux()
	allowed := newCORS(opts.CORSOrigins)
	logged := logRequests(opts.Logger, allowed.wrap(query))
	mux.Handle("POST /query", logged)
	mux.Handle("GET /query", logged)
	mux.Handle("OPTIONS /query", logRequests(opts.Logger, http.HandlerFunc(allowed.preflight)))
	// The app speaks only the public API, so it is served in production
	// too; it offers GraphiQL only where GraphiQL is served.
	mux.Handle("GET /app", webapp.Handler())
	mux.Handle("GET "+webapp.Path, webapp.Handler())
	if !opts.Production {
		mux.Handle("GET /{$}", graphiql.Page())
		mux.Handle("GET "+graphiql.AssetsPath, graphiql.Assets())
	}
	return mux
}

// jsonStatus answers 200 where gqlgen answers 422 for a query that does
// not parse or validate: GraphQL over HTTP asks for 200 when the client
// accepts only application/json, whose older clients read errors from a
// 200's body. Clients accepting application/graphql-response+json get the
// 4xx.
type jsonStatus struct{ http.ResponseWriter }

func (w jsonStatus) WriteHeader(code int) {
	if code == http.StatusUnprocessableEntity {
		code = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(code)
}

// Flush sends what was written so far, for @defer's multipart/mixed
// responses.
func (w jsonStatus) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap is the wrapped writer, for http.ResponseController.
func (w jsonStatus) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitBody reads the body up to MaxRequestBytes, within BodyTimeout, and
// puts it back for gqlgen, or answers 413 and reports false when it is
// larger, 408 when it came too slowly. Once it is read, the connection may
// wait for the client's next bytes as long as the request may run.
func limitBody(w http.ResponseWriter, r *http.Request, limits Limits) bool {
	rc := http.NewResponseController(w)
	// A writer that cannot take deadlines (a test's recorder) reads
	// without one.
	_ = rc.SetReadDeadline(time.Now().Add(limits.BodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", MaxRequestBytes))
		return false
	case errors.As(err, &netErr) && netErr.Timeout():
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %s", limits.BodyTimeout))
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "the request body could not be read")
		return false
	}
	_ = rc.SetReadDeadline(time.Now().Add(limits.Timeout + limits.BodyTimeout))
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// dropBody ends a request refused before its body was read: the answer
// closes the connection (set before it was written), and the server gives
// up the unread body at once rather than waiting to drain it.
func dropBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	_ = rc.SetReadDeadline(time.Now())
}

// writeError answers a request refused for its form before GraphQL saw
// it.
func writeError(w http.ResponseWriter, status int, message string) {
	writeCoded(w, status, CodeBadUserInput, message)
}

// writeCoded answers a request refused before GraphQL saw it, in the shape
// of a GraphQL response so that clients need one error path.
func writeCoded(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
