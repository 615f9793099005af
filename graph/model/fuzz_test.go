package model_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/connectors/sdk/validate"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph/model"
)

// requireInputError fails t unless err is the client's mistake: a
// *domain.InputError, which the API answers BAD_USER_INPUT, never INTERNAL.
func requireInputError(t *testing.T, err error, input any) {
	t.Helper()
	var inputErr *domain.InputError
	if !errors.As(err, &inputErr) {
		t.Fatalf("%#v: %T %v is not an input error", input, err, err)
	}
	for _, p := range inputErr.Problems {
		if msg := validate.TextProblem(p.Message); msg != "" {
			t.Fatalf("%#v: the message %q %s", input, p.Message, msg)
		}
	}
}

// FuzzUnmarshalID: an id (every node id and reference of the API) is read
// or refused as the client's mistake; one read writes back as the same id.
func FuzzUnmarshalID(f *testing.F) {
	f.Add("000000a1-0000-0000-0000-000000000001")
	f.Add("{000000A1-0000-0000-0000-000000000001}")
	f.Add("urn:uuid:000000a1-0000-0000-0000-000000000001")
	f.Add("000000a10000000000000000000000001")
	f.Add("not an id\x00")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := model.UnmarshalID(s)
		if err != nil {
			requireInputError(t, err, s)
			return
		}
		out := written(model.MarshalID(id))
		if id == uuid.Nil {
			if out != "null" {
				t.Fatalf("%q: the nil id, which no row has, writes as %s, not null", s, out)
			}
			return
		}
		var back string
		if err := json.Unmarshal([]byte(out), &back); err != nil {
			t.Fatalf("%q: id %s writes as no string: %v", s, id, err)
		}
		again, err := model.UnmarshalID(back)
		if err != nil || again != id {
			t.Fatalf("%q: read %s, wrote %q, read back %s (%v)", s, id, back, again, err)
		}
	})
}

// FuzzUnmarshalString: every String input (filters, searches, note
// bodies, cursors) is read as the database can store it or refused as the
// client's mistake; one read writes back the same.
func FuzzUnmarshalString(f *testing.F) {
	for _, s := range []string{"", "Acme", "Bad\x00Co", "Mid\xffmarket", "\uFFFD", "日本語", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := model.UnmarshalString(s)
		if err != nil {
			requireInputError(t, err, s)
			if validate.TextProblem(s) == "" {
				t.Fatalf("%q refused, yet storable: %v", s, err)
			}
			return
		}
		if got != s || validate.TextProblem(got) != "" {
			t.Fatalf("%q read as %q", s, got)
		}
		var back string
		if err := json.Unmarshal([]byte(written(model.MarshalString(got))), &back); err != nil || back != s {
			t.Fatalf("%q writes back as %q (%v)", s, back, err)
		}
	})
}

// FuzzUnmarshalJSON: a JSON input (a source's config) is an object of
// storable text, or refused as the client's mistake.
func FuzzUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"path": "/data"}`, `{"a": {"b": ["c", 1, true, null]}}`, `{"p\u0000": 1}`, `{"a": ["ok", "n\u0000"]}`, `[1]`, `"s"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return // not JSON: the transport refuses it before any scalar
		}
		got, err := model.UnmarshalJSON(v)
		if err != nil {
			requireInputError(t, err, doc)
			if _, object := v.(map[string]any); object && !hasBadText(v) {
				t.Fatalf("%s refused, yet an object of storable text: %v", doc, err)
			}
			return
		}
		if hasBadText(map[string]any(got)) {
			t.Fatalf("%s accepted with text the database cannot store", doc)
		}
	})
}

// hasBadText reports whether a key or string within v cannot be stored.
func hasBadText(v any) bool {
	switch x := v.(type) {
	case string:
		return validate.TextProblem(x) != ""
	case map[string]any:
		for k, e := range x {
			if validate.TextProblem(k) != "" || hasBadText(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasBadText(e) {
				return true
			}
		}
	}
	return false
}
