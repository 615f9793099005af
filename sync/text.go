package sync

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/domain"
)

// textProblems lists every string of r, custom fields and links included,
// that cannot be stored as text (domain.TextProblem). This is where text
// from connectors is made safe for the database, for every connector at
// once: a record with such a string is rejected alone, naming the field,
// before any statement carries it. Fields are named as the host names them
// elsewhere (see fieldName), the names RecordBatch.columns is keyed by.
func textProblems(r *connectorpb.Record) domain.Problems {
	var p domain.Problems
	walkText(r.ProtoReflect(), "", &p)
	// Range visits fields in no fixed order; problems read better, and
	// compare in tests, in one.
	slices.SortStableFunc(p, func(a, b domain.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return p
}

func walkText(m protoreflect.Message, prefix string, p *domain.Problems) {
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
func textValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, name string, p *domain.Problems) {
	switch {
	case fd.Kind() == protoreflect.StringKind:
		if msg := domain.TextProblem(v.String()); msg != "" {
			*p = append(*p, domain.FieldError{Field: name, Message: msg})
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
func walkStruct(s *structpb.Struct, prefix string, p *domain.Problems) {
	for k, v := range s.GetFields() {
		if msg := domain.TextProblem(k); msg != "" {
			*p = append(*p, domain.FieldError{Field: prefix, Message: fmt.Sprintf("key %q %s", k, msg)})
			continue
		}
		walkStructValue(v, prefix+"."+k, p)
	}
}

func walkStructValue(v *structpb.Value, name string, p *domain.Problems) {
	switch x := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		if msg := domain.TextProblem(x.StringValue); msg != "" {
			*p = append(*p, domain.FieldError{Field: name, Message: msg})
		}
	case *structpb.Value_StructValue:
		walkStruct(x.StructValue, name, p)
	case *structpb.Value_ListValue:
		for i, e := range x.ListValue.GetValues() {
			walkStructValue(e, fmt.Sprintf("%s[%d]", name, i), p)
		}
	}
}

// fieldName is the name problems give field fd under prefix: a record's
// own external id is its "id", a reference such as account_external_id is
// "account_id" (as the record's other problems name it, and as files of
// columns head it), and a nested field is dotted, "custom.region".
func fieldName(prefix string, fd protoreflect.FieldDescriptor) string {
	name := string(fd.Name())
	if prefix == "" {
		if name == "external_id" {
			return "id"
		}
		if entity, ok := strings.CutSuffix(name, "_external_id"); ok {
			return entity + "_id"
		}
		return name
	}
	return prefix + "." + name
}
