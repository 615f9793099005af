package graph

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	gosync "sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pulseproject/pulse/domain"
)

// requestLog gathers what a request's log line says beyond HTTP's own:
// the operation and the name of the key, never the key.
type requestLog struct {
	mu        gosync.Mutex
	operation string
	key       string
}

type requestLogKey struct{}

// noteKey records the name of the key a request was made with.
func noteKey(ctx context.Context, key *domain.APIKey) {
	if l, ok := ctx.Value(requestLogKey{}).(*requestLog); ok && key != nil {
		l.mu.Lock()
		l.key = key.Name
		l.mu.Unlock()
	}
}

// noteOperation records a request's operation name, and its key's.
func noteOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if l, ok := ctx.Value(requestLogKey{}).(*requestLog); ok {
		if op := graphql.GetOperationContext(ctx); op != nil {
			name := op.OperationName
			if name == "" && op.Operation != nil {
				name = op.Operation.Name
			}
			l.mu.Lock()
			l.operation = name
			l.mu.Unlock()
		}
	}
	noteKey(ctx, keyOf(ctx))
	return next(ctx)
}

// logRequests logs each request at Info once answered: method, path,
// operation, status, duration and key name. A WebSocket is logged when it
// closes, with status 101.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		l := &requestLog{}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestLogKey{}, l)))
		l.mu.Lock()
		op, key := l.operation, l.key
		l.mu.Unlock()
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("operation", op),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("key", key),
		)
	})
}

// statusRecorder remembers the status written through it; it still hijacks
// and flushes, for WebSockets and streamed responses.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

// Flush sends what was written so far.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over, for a WebSocket.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("graph: the connection cannot be hijacked")
	}
	return h.Hijack()
}

// Unwrap is the wrapped writer, for http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
