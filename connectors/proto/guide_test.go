package connectorpb_test

import (
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// TestGuideListsEveryField keeps the connector guide's tables of the Person
// and Ticket fields complete: a field added to the protocol must be
// documented where connector authors look.
func TestGuideListsEveryField(t *testing.T) {
	guide, err := os.ReadFile("../../docs/writing-a-connector.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []protoreflect.ProtoMessage{&connectorpb.Person{}, &connectorpb.Ticket{}} {
		fields := m.ProtoReflect().Descriptor().Fields()
		for i := range fields.Len() {
			name := string(fields.Get(i).Name())
			if !strings.Contains(string(guide), "| `"+name+"` |") {
				t.Errorf("docs/writing-a-connector.md has no row for %s.%s", m.ProtoReflect().Descriptor().Name(), name)
			}
		}
	}
}
