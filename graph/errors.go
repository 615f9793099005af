package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pulseproject/pulse/domain"
)

// The values of extensions.code on the errors the API returns, besides
// gqlgen's own for queries that do not parse or validate.
const (
	CodeBadUserInput = "BAD_USER_INPUT"
	CodeNotFound     = "NOT_FOUND"
	CodeConflict     = "CONFLICT"
	CodeInternal     = "INTERNAL"
	// CodeUnauthenticated answers a request without a valid API key.
	CodeUnauthenticated = "UNAUTHENTICATED"
	// CodeForbidden answers a field the key's role may not resolve.
	CodeForbidden = "FORBIDDEN"
	// CodeTimeout answers a field whose work was cut: a statement past
	// the database's statement timeout, or the request past its own.
	CodeTimeout = "TIMEOUT"
)

// ErrConflict is wrapped by the errors of a SourceService or SyncRunner
// that refuse a request for clashing with the current state, such as a sync
// of a source that is already running.
var ErrConflict = domain.ErrConflict

// errorCodes maps errors to codes; the first match wins, and an error that
// matches none is INTERNAL.
var errorCodes = []struct {
	code    string
	matches func(error) bool
}{
	{CodeBadUserInput, func(err error) bool { var e *domain.InputError; return errors.As(err, &e) }},
	{CodeNotFound, func(err error) bool { return errors.Is(err, domain.ErrNotFound) }},
	{CodeConflict, func(err error) bool { return errors.Is(err, ErrConflict) }},
	{CodeForbidden, func(err error) bool { return errors.Is(err, domain.ErrForbidden) }},
	{CodeUnauthenticated, func(err error) bool { return errors.Is(err, domain.ErrUnauthenticated) }},
	{CodeTimeout, func(err error) bool {
		return errors.Is(err, domain.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
	}},
}

func codeOf(err error) string {
	for _, c := range errorCodes {
		if c.matches(err) {
			return c.code
		}
	}
	return CodeInternal
}

// presentError turns an error into what the client sees. Errors a resolver
// returned carry their cause: a domain error is shown with its code, and
// anything else, which may hold SQL or a stack, is logged and shown as
// "internal error". Errors without a cause are gqlgen's own, about the
// query itself, and are shown as they are, with BAD_USER_INPUT as their
// code where gqlgen gave none (a persisted query's hash that does not
// match, say): every error carries a code.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if !errors.As(err, &gqlErr) {
			gqlErr = gqlerror.WrapPath(graphql.GetPath(ctx), err)
		}
		cause := gqlErr.Unwrap()
		if cause == nil {
			if _, ok := gqlErr.Extensions["code"]; !ok {
				if gqlErr.Extensions == nil {
					gqlErr.Extensions = map[string]any{}
				}
				gqlErr.Extensions["code"] = CodeBadUserInput
			}
			return gqlErr
		}
		out := &gqlerror.Error{Path: gqlErr.Path, Locations: gqlErr.Locations, Message: cause.Error()}
		if fc := graphql.GetFieldContext(ctx); len(out.Locations) == 0 && fc != nil && fc.Field.Position != nil {
			// Errors of arguments and panics come without the field's
			// place in the query.
			out.Locations = []gqlerror.Location{{Line: fc.Field.Position.Line, Column: fc.Field.Position.Column}}
		}
		code := codeOf(cause)
		switch code {
		case CodeBadUserInput:
			var inputErr *domain.InputError
			errors.As(cause, &inputErr)
			// splitProblems leaves one problem per error.
			p := domain.FieldError{Message: "is not valid"}
			if len(inputErr.Problems) > 0 {
				p = inputErr.Problems[0]
			}
			if p.Field == "" {
				// A value that did not parse, reported by its scalar on
				// the path of the argument it came in: name the argument,
				// and point the error at the field like any other.
				out.Path, p.Field = splitArgumentPath(ctx, gqlErr.Path)
			}
			out.Message = p.Error()
			out.Extensions = map[string]any{"code": code, "field": p.Field}
			return out
		case CodeInternal:
			if errors.Is(cause, context.Canceled) && ctx.Err() != nil {
				// The client hung up: nobody reads the answer, and
				// there is nothing for an operator to mend.
				logger.InfoContext(ctx, "graphql: request cancelled by the client", "path", gqlErr.Path.String())
			} else {
				logger.ErrorContext(ctx, "graphql: internal error", "path", gqlErr.Path.String(), "err", cause)
			}
			out.Message = "internal error"
		case CodeTimeout:
			// The client asked for more than fits in the time; the cause
			// may hold SQL, so it is logged, not shown.
			logger.WarnContext(ctx, "graphql: timed out", "path", gqlErr.Path.String(), "err", cause)
			out.Message = "the request ran out of time: ask for less, such as a shorter window or fewer reports"
		}
		out.Extensions = map[string]any{"code": code}
		return out
	}
}

// splitArgumentPath splits the path of an argument's error into the path
// of the field and the argument's own, such as filter.ownerId.
func splitArgumentPath(ctx context.Context, path ast.Path) (ast.Path, string) {
	field := path
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		field = fc.Path()
	}
	var names []string
	for _, e := range path[min(len(field), len(path)):] {
		names = append(names, fmt.Sprint(e))
	}
	return field, strings.Join(names, ".")
}

// splitProblems turns a *domain.InputError with several problems into one
// GraphQL error per problem, each naming its field.
func splitProblems(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	var inputErr *domain.InputError
	if !errors.As(err, &inputErr) || len(inputErr.Problems) < 2 {
		return res, err
	}
	last := len(inputErr.Problems) - 1
	for _, p := range inputErr.Problems[:last] {
		graphql.AddError(ctx, graphql.AddFieldLocationToError(ctx, domain.Invalid(p)))
	}
	return res, domain.Invalid(inputErr.Problems[last])
}

// recoverPanic turns a resolver's panic into an error carrying the stack,
// which the presenter logs and hides.
func recoverPanic(_ context.Context, p any) error {
	return fmt.Errorf("graph: panic: %v\n%s", p, debug.Stack())
}
