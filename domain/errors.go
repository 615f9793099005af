package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned when the entity asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a request clashes with the current state,
// such as a sync of a source that is already running.
var ErrConflict = errors.New("conflict")

// ErrUnauthenticated is returned for a request without a valid credential.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrForbidden is returned when the credential's role may not do what was
// asked.
var ErrForbidden = errors.New("forbidden")

// NotFound wraps ErrNotFound with what was looked for.
func NotFound(what string, key any) error {
	return fmt.Errorf("%s %v: %w", what, key, ErrNotFound)
}

// InputError is a request refused for its input: every problem found, each
// naming its field.
type InputError struct {
	Problems Problems
}

func (e *InputError) Error() string {
	return "invalid input: " + e.Problems.Error()
}

// Invalid builds an InputError from field/message pairs.
func Invalid(problems ...FieldError) *InputError { return &InputError{Problems: problems} }

// Prefixed returns the problems with prefix added to every field path.
func (p Problems) Prefixed(prefix string) Problems {
	out := make(Problems, len(p))
	for i, e := range p {
		out[i] = FieldError{Field: strings.TrimSuffix(prefix+"."+e.Field, "."), Message: e.Message}
	}
	return out
}

// ErrTimeout is returned when a request's work was cut for running longer
// than it may, such as a statement past the database's statement timeout.
var ErrTimeout = errors.New("timed out")
