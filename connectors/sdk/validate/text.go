package validate

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// TextProblems lists every string of r, custom fields and links included,
// that cannot be stored as text (see TextProblem). This is where text from
// connectors is made safe for the database, for every connector at once: a
// record with such a string is rejected alone, naming the field, before any
// statement carries it. Fields are named as connector.proto names them
// (see fieldName), the names RecordBatch.columns is keyed by.
func TextProblems(r *connectorpb.Record) Problems {
	var p Problems
	walkText(r.ProtoReflect(), "", &p)
	// Range visits fields in no fixed order; problems read better, and
	// compare in tests, in one.
	slices.SortStableFunc(p, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return p
}

func walkText(m protoreflect.Message, prefix string, p *Problems) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := fieldName(prefix, fd)
		switch {
		case fd.IsList():
			for i := range v.List().Len() {
				textValue(fd, v.List().Get(i), name, p)
			}
		case fd.Message() != nil && fd.ContainingOneof() != nil:
			// The entity: its fields are the record's own.
			walkText(v.Message(), prefix, p)
		default:
			textValue(fd, v, name, p)
		}
		return true
	})
}

// textValue checks one value of field fd, a string or a message.
func textValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, name string, p *Problems) {
	switch {
	case fd.Kind() == protoreflect.StringKind:
		if msg := TextProblem(v.String()); msg != "" {
			*p = append(*p, FieldError{Field: name, Message: msg})
		}
	case fd.Message() == nil:
	case fd.Message().FullName() == "google.protobuf.Struct":
		walkStruct(v.Message().Interface().(*structpb.Struct), name, p)
	default:
		walkText(v.Message(), name, p)
	}
}

// walkStruct checks a custom map, keys included: it is stored as jsonb,
// which refuses a NUL as text does.
func walkStruct(s *structpb.Struct, prefix string, p *Problems) {
	for k, v := range s.GetFields() {
		if msg := TextProblem(k); msg != "" {
			*p = append(*p, FieldError{Field: prefix, Message: fmt.Sprintf("key %q %s", k, msg)})
			continue
		}
		walkStructValue(v, prefix+"."+k, p)
	}
}

func walkStructValue(v *structpb.Value, name string, p *Problems) {
	switch x := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		if msg := TextProblem(x.StringValue); msg != "" {
			*p = append(*p, FieldError{Field: name, Message: msg})
		}
	case *structpb.Value_StructValue:
		walkStruct(x.StructValue, name, p)
	case *structpb.Value_ListValue:
		for i, e := range x.ListValue.GetValues() {
			walkStructValue(e, fmt.Sprintf("%s[%d]", name, i), p)
		}
	}
}

// fieldName is the name problems give field fd under prefix: as
// connector.proto names it at the top ("external_id", "account_external_id",
// "name"), dotted below it ("custom.region", "links.external_id").
func fieldName(prefix string, fd protoreflect.FieldDescriptor) string {
	if prefix == "" {
		return string(fd.Name())
	}
	return prefix + "." + string(fd.Name())
}

// TextProblem says why s cannot be stored as text, or is empty when it
// can. PostgreSQL text (and jsonb) holds UTF-8 only and no NUL byte: one
// such value in a statement fails the statement, and with it every other
// row the statement carried. So text from connectors (here) and from
// clients (the API's scalars, cursor keys) is checked with this one rule on
// its way in, and refused there with the field named. Positions are 1-based
// byte offsets, to find the byte in a long text.
func TextProblem(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Sprintf("contains a NUL byte (at byte %d), which cannot be stored as text", i+1)
	}
	for i, r := range s {
		if r != utf8.RuneError {
			continue
		}
		// U+FFFD itself is fine; a byte that does not decode is not.
		if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
			return fmt.Sprintf("is not valid UTF-8 (at byte %d)", i+1)
		}
	}
	return ""
}

// PrintableText is s made storable for diagnostics (an error message, the
// id a problem concerns) rather than data: a NUL byte shows as \0 and bytes
// that are not UTF-8 as U+FFFD, so that telling of bad text cannot fail to
// store in turn.
func PrintableText(s string) string {
	if TextProblem(s) == "" {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\0`), "\uFFFD")
}
