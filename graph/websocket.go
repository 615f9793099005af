package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pulseproject/pulse/domain"
)

// defaultKeepAlive is how often a WebSocket connection is pinged.
const defaultKeepAlive = 15 * time.Second

// isWebsocket reports whether r asks to upgrade to a WebSocket.
func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// websocket serves subscriptions (and queries and mutations too) over
// graphql-transport-ws, and the older graphql-ws. Browsers cannot set
// headers on a WebSocket, so the key comes in the connection_init payload,
// {"Authorization": "Bearer pulse_…"} or, as many clients send it,
// {"headers": {"Authorization": "Bearer pulse_…"}}, and is checked by the same
// Authenticator as HTTP; without a valid one the connection is refused. A
// connection counts as one request against its key's rate, but not against
// its requests in flight.
func websocket(keys Authenticator, limiter Limiter, a domain.Allowance, keepAlive time.Duration) transport.Websocket {
	a.InFlight = 0
	if keepAlive <= 0 {
		keepAlive = defaultKeepAlive
	}
	return transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{
			// Any origin may connect: the key travels in the payload,
			// never in a cookie, so a foreign page gains nothing.
			InsecureSkipVerify: true,
		}},
		InitTimeout: 10 * time.Second,
		// graphql-ws clients get keep-alive messages; graphql-transport-ws
		// clients get pings, and are dropped when they do not pong within
		// twice the interval.
		KeepAlivePingInterval: keepAlive,
		PingPongInterval:      keepAlive,
		InitFunc: func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			key, err := authenticateInit(ctx, keys, initAuthorization(payload))
			if err != nil {
				return refuse(ctx, closeUnauthorized, err)
			}
			if keys != nil {
				ad, err := limiter.Admit(ctx, key.ID, a)
				switch {
				case err != nil:
					return refuse(ctx, closeInternal, errors.New(CodeInternal+": internal error"))
				case !ad.Admitted():
					return refuse(ctx, closeTooManyRequests, fmt.Errorf("%s: too many requests; retry in %d s", CodeRateLimited, retryAfter(ad.RetryAfter)))
				}
			}
			noteKey(ctx, key)
			return context.WithValue(ctx, keyCtx{}, key), nil, nil
		},
	}
}

// The close codes of a refused connection_init: graphql-transport-ws
// closes an unauthorized one with 4403, and one the server failed with
// 4500; 4429 follows HTTP's 429.
const (
	closeUnauthorized    = 4403
	closeTooManyRequests = 4429
	closeInternal        = 4500
)

// refuse closes the connection with code, and err's message as the
// reason, which starts with the error code, such as UNAUTHENTICATED: ….
func refuse(ctx context.Context, code int, err error) (context.Context, *transport.InitPayload, error) {
	ctx = transport.WithWebsocketCloseCode(ctx, code)
	return transport.AppendCloseReason(ctx, err.Error()), nil, err
}

// initAuthorization is the Authorization value of a connection_init
// payload: at its top level, or else in its "headers" object, whose names
// are matched regardless of case as HTTP's are.
func initAuthorization(payload transport.InitPayload) string {
	if a := payload.Authorization(); a != "" {
		return a
	}
	headers, _ := payload["headers"].(map[string]any)
	for name, value := range headers {
		if s, ok := value.(string); ok && strings.EqualFold(name, "Authorization") {
			return s
		}
	}
	return ""
}

// authenticateInit checks the Authorization value of a connection_init
// payload; with no Authenticator everyone is an admin, as over HTTP. Its
// errors are short: they travel as a close reason, at most 123 bytes.
func authenticateInit(ctx context.Context, keys Authenticator, header string) (*domain.APIKey, error) {
	if keys == nil {
		return &domain.APIKey{Name: "unauthenticated handler", Role: domain.Admin}, nil
	}
	scheme, secret, _ := strings.Cut(header, " ")
	if header == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return nil, errors.New(CodeUnauthenticated + ": send the payload {\"Authorization\": \"Bearer pulse_…\"}")
	}
	key, err := keys.Authenticate(ctx, strings.TrimSpace(secret))
	switch {
	case errors.Is(err, domain.ErrUnauthenticated):
		return nil, errors.New(CodeUnauthenticated + ": the API key is not valid")
	case err != nil:
		return nil, errors.New(CodeInternal + ": internal error")
	}
	return key, nil
}

// freshLoaders gives each response of a subscription, and each operation
// that came over a WebSocket, its own instant and dataloaders: a
// subscription lives for hours, and its events must not read what the
// first one cached.
func freshLoaders(now func() time.Time, backend Backend, sources SourceService, wait time.Duration) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		// A request refused before it became an operation (a body that is
		// not JSON) has no operation context, and GetOperationContext
		// panics without one.
		subscription := false
		if graphql.HasOperationContext(ctx) {
			op := graphql.GetOperationContext(ctx).Operation
			subscription = op != nil && op.Operation == ast.Subscription
		}
		if ctx.Value(requestKey{}) == nil || subscription {
			ctx = withRequest(ctx, newRequest(now(), backend, sources, wait))
		}
		return next(ctx)
	}
}
