package validate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
)

// TestProblemsNameProtocolFields holds every problem a sync reports on a
// record (rejected or deferred) to the names a connector author knows:
// the fields of connector.proto, account_external_id rather than the
// column account_id it becomes.
func TestProblemsNameProtocolFields(t *testing.T) {
	entity := (&connectorpb.Record{}).ProtoReflect().Descriptor().Oneofs().ByName("entity")
	for i := 0; i < entity.Fields().Len(); i++ {
		field := entity.Fields().Get(i)
		payload := field.Message()
		// An empty payload misses every required field; one whose
		// strings are all "x" and numbers all -1 breaks every value rule.
		for _, fill := range []string{"empty", "bad"} {
			t.Run(string(payload.Name())+"/"+fill, func(t *testing.T) {
				rec := &connectorpb.Record{ExternalId: "r-1", EntityType: entityType(t, field.Name())}
				msg := rec.ProtoReflect().NewField(field).Message()
				if fill == "bad" {
					spoil(msg)
				}
				rec.ProtoReflect().Set(field, protoreflect.ValueOfMessage(msg))
				probs := validate.ValidateRecord(rec)
				if fill == "empty" {
					require.NotEmpty(t, probs, "every entity has a required field")
				}
				for _, p := range probs {
					known := payload.Fields().ByName(protoreflect.Name(p.Field)) != nil
					require.True(t, known, "%s: %q is not a field of %s in connector.proto (%s)", fill, p.Field, payload.Name(), p.Message)
				}
			})
		}
	}
}

func TestMissingReferencesNameTheirProtocolField(t *testing.T) {
	tests := []struct {
		rec  *connectorpb.Record
		want []string
	}{
		{&connectorpb.Record{EntityType: connectorpb.EntityType_ENTITY_TYPE_CONTACT,
			Entity: &connectorpb.Record_Contact{Contact: &connectorpb.Contact{Name: "Ann"}}}, []string{"account_external_id"}},
		{&connectorpb.Record{EntityType: connectorpb.EntityType_ENTITY_TYPE_ACCOUNT_TEAM,
			Entity: &connectorpb.Record_AccountTeam{AccountTeam: &connectorpb.AccountTeamMember{Role: "cs"}}}, []string{"account_external_id", "person_external_id"}},
	}
	for _, tc := range tests {
		var got []string
		for _, p := range validate.ValidateRecord(tc.rec) {
			require.Equal(t, "is required", p.Message)
			got = append(got, p.Field)
		}
		require.ElementsMatch(t, tc.want, got)
	}
}

// entityType is the EntityType whose name matches the oneof field.
func entityType(t *testing.T, field protoreflect.Name) connectorpb.EntityType {
	t.Helper()
	values := connectorpb.EntityType_ENTITY_TYPE_UNSPECIFIED.Descriptor().Values()
	for i := 0; i < values.Len(); i++ {
		v := values.Get(i)
		if string(v.Name()) == "ENTITY_TYPE_"+strings.ToUpper(string(field)) {
			return connectorpb.EntityType(v.Number())
		}
	}
	t.Fatalf("no entity type for %s", field)
	return 0
}

// spoil sets every string field of m to "x" and every number to -1.
func spoil(m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.IsList() || f.IsMap() {
			continue
		}
		switch f.Kind() {
		case protoreflect.StringKind:
			m.Set(f, protoreflect.ValueOfString("x"))
		case protoreflect.Int32Kind:
			m.Set(f, protoreflect.ValueOfInt32(-1))
		case protoreflect.Int64Kind:
			m.Set(f, protoreflect.ValueOfInt64(-1))
		}
	}
}
