package sync

import (
	"fmt"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/domain"
)

// ValidateRecord reports every problem for which a sync would reject the
// live record r: text that cannot be stored (a NUL byte, bytes that are
// not UTF-8), a payload that does not match its entity type, values the
// domain rules refuse, unparsable dates and amounts, missing required
// references. The connector conformance suite holds connectors to these
// same rules without a database.
func ValidateRecord(r *connectorpb.Record) domain.Problems {
	return append(textProblems(r), checked(r).problems...)
}

// checked converts r and adds a mismatch between its declared entity type
// and the payload it carries to its problems.
func checked(r *connectorpb.Record) converted {
	c := convert(r)
	if carried := entityTypeOf(r); carried != r.GetEntityType() {
		c.problems = append(c.problems, domain.FieldError{Field: "entity_type",
			Message: fmt.Sprintf("says %s but the record carries %s", entityNames[r.GetEntityType()], entityNames[carried])})
	}
	return c
}
