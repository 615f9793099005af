package sync

import (
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
)

// checked converts r and lists every problem for which the sync rejects it:
// the rules of validate.ValidateRecord, which the connector conformance
// suite holds connectors to as well, without a database.
func checked(r *connectorpb.Record) converted {
	problems := validate.ValidateRecord(r)
	if len(problems) > 0 {
		return converted{rec: r, problems: problems}
	}
	return convert(r)
}
