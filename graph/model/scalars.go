package model

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/connectors/sdk/validate"
	"github.com/pulseproject/pulse/domain"
)

// Input that does not parse is the client's fault: the errors below are
// domain.InputErrors without a field, which the error presenter names
// after the argument at fault.
func invalid(format string, args ...any) error {
	return domain.Invalid(domain.FieldError{Message: fmt.Sprintf(format, args...)})
}

// MarshalID writes an id; the zero id, which no row has, is null.
func MarshalID(id uuid.UUID) graphql.Marshaler {
	if id == uuid.Nil {
		return graphql.Null
	}
	return graphql.MarshalString(id.String())
}

// UnmarshalID reads an id.
func UnmarshalID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, invalid("an id must be a string, got %T", v)
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, invalid("%q is not an id", s)
	}
	return id, nil
}

// MarshalString writes a string as GraphQL's own String does.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString reads every String input of the API, arguments and
// fields of input objects alike, and refuses text the database cannot hold
// (validate.TextProblem): here, once, rather than as a failed statement in
// whichever resolver it reaches.
func UnmarshalString(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", invalid("%v", err)
	}
	if msg := validate.TextProblem(s); msg != "" {
		return "", invalid("%s", msg)
	}
	return s, nil
}

// MarshalTime writes an instant in UTC, so that the same instant always
// reads the same whatever the database session's time zone.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.MarshalString(t.UTC().Format(time.RFC3339Nano))
}

// UnmarshalTime reads an RFC 3339 instant.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalid("a time must be an RFC 3339 string, got %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid("%q is not an RFC 3339 time such as 2025-03-01T09:30:00Z", s)
	}
	return t, nil
}

const dateLayout = "2006-01-02"

// MarshalDate writes a calendar day. Dates come from date columns as
// midnight UTC.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.MarshalString(t.UTC().Format(dateLayout))
}

// UnmarshalDate reads a YYYY-MM-DD day as midnight UTC.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalid("a date must be a YYYY-MM-DD string, got %T", v)
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, invalid("%q is not a YYYY-MM-DD date", s)
	}
	return t, nil
}

// MarshalDecimal writes a decimal as a string: JSON numbers are floats to
// most clients, and would lose cents.
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.MarshalString(d.String())
}

// UnmarshalDecimal reads a decimal from a string.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	s, ok := v.(string)
	if !ok {
		return decimal.Decimal{}, invalid("a decimal must be a string such as \"12.50\", got %T", v)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, invalid("%q is not a decimal number", s)
	}
	if msg := validate.DecimalProblem(d); msg != "" {
		return decimal.Decimal{}, invalid("%.20q %s", s, msg)
	}
	return d, nil
}

// MarshalJSON writes a JSON object; a missing one is empty, not null.
func MarshalJSON(c domain.Custom) graphql.Marshaler {
	if c == nil {
		return graphql.WriterFunc(func(w io.Writer) { io.WriteString(w, "{}") })
	}
	// Encoding now rather than when the response is written keeps a
	// failure (a value JSON cannot hold) inside the field's own recovery,
	// where it becomes that field's internal error.
	b, err := json.Marshal(map[string]any(c))
	if err != nil {
		panic(fmt.Errorf("model: encode JSON: %w", err))
	}
	return graphql.WriterFunc(func(w io.Writer) { w.Write(b) })
}

// UnmarshalJSON reads a JSON object. Its keys and strings are stored as
// jsonb, which holds no more than text does.
func UnmarshalJSON(v any) (domain.Custom, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("must be a JSON object, got %T", v)
	}
	if err := checkJSONText(m, ""); err != nil {
		return nil, err
	}
	return m, nil
}

// checkJSONText refuses the first key or string within v, at path, that
// cannot be stored as text.
func checkJSONText(v any, path string) error {
	switch x := v.(type) {
	case string:
		if msg := validate.TextProblem(x); msg != "" {
			return invalid("%s %s", strings.TrimPrefix(path, "."), msg)
		}
	case map[string]any:
		for k, e := range x {
			if msg := validate.TextProblem(k); msg != "" {
				return invalid("key %q %s", k, msg)
			}
			if err := checkJSONText(e, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := checkJSONText(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
