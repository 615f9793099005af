package sdktest

import (
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// ByStream is the records of msgs by stream, tombstones included, in the
// order sent.
func ByStream(msgs []*connectorpb.ReadMessage) map[string][]*connectorpb.Record {
	out := map[string][]*connectorpb.Record{}
	for _, m := range msgs {
		if b := m.GetBatch(); b != nil {
			out[b.GetStream()] = append(out[b.GetStream()], b.GetRecords()...)
		}
	}
	return out
}

// FinalState is each stream's last checkpoint in msgs: the state a host
// commits after the read, for the next read to start from.
func FinalState(msgs []*connectorpb.ReadMessage) map[string][]byte {
	out := map[string][]byte{}
	for _, m := range msgs {
		if s := m.GetState(); s != nil {
			out[s.GetStream()] = s.GetStateJson()
		}
	}
	return out
}

// IDs is the external ids of recs, in order, a tombstone's marked
// " deleted" so that a comparison tells it from the live record.
func IDs(recs []*connectorpb.Record) []string {
	var out []string
	for _, r := range recs {
		id := r.GetExternalId()
		if r.GetDeleted() {
			id += " deleted"
		}
		out = append(out, id)
	}
	return out
}

// ByID is recs by external id; of two with the same id, the later wins.
func ByID(recs []*connectorpb.Record) map[string]*connectorpb.Record {
	out := map[string]*connectorpb.Record{}
	for _, r := range recs {
		out[r.GetExternalId()] = r
	}
	return out
}

// Links is r's links to other tools, each as "kind:external id".
func Links(r *connectorpb.Record) []string {
	var out []string
	for _, l := range r.GetLinks() {
		out = append(out, l.GetKind()+":"+l.GetExternalId())
	}
	return out
}

// A Checkpoint is one state checkpoint of a read, with what the read sent
// after it.
type Checkpoint struct {
	State []byte
	// After is every message the read sent after the checkpoint. What of
	// it belongs to the checkpoint's stream is exactly what a read resumed
	// from State must send.
	After []*connectorpb.ReadMessage
}

// Checkpoints is stream's checkpoints in msgs, in order.
func Checkpoints(msgs []*connectorpb.ReadMessage, stream string) []Checkpoint {
	var out []Checkpoint
	for i, m := range msgs {
		if s := m.GetState(); s != nil && s.GetStream() == stream {
			out = append(out, Checkpoint{State: s.GetStateJson(), After: msgs[i+1:]})
		}
	}
	return out
}

// Summary is a read summed up for assertions.
type Summary struct {
	// Records is the live records by stream and external id.
	Records map[string]map[string]*connectorpb.Record
	// Order is the external ids of each stream's records, tombstones
	// included, in the order sent.
	Order map[string][]string
	// Tombstones is the external ids of each stream's tombstones, in the
	// order sent.
	Tombstones map[string][]string
	// Errors is the record errors by external id, each as "field: message".
	Errors map[string]string
	// Logs is the log lines, in the order sent.
	Logs []string
	// Checkpoints is each stream's checkpoints, in the order sent.
	Checkpoints map[string][][]byte
	// Failure is the Error that ended the read, nil when none did.
	Failure *connectorpb.Error
}

// Sum sums msgs up.
func Sum(msgs []*connectorpb.ReadMessage) Summary {
	s := Summary{
		Records: map[string]map[string]*connectorpb.Record{}, Order: map[string][]string{}, Tombstones: map[string][]string{},
		Errors: map[string]string{}, Checkpoints: map[string][][]byte{},
	}
	for _, m := range msgs {
		switch {
		case m.GetBatch() != nil:
			b := m.GetBatch()
			for _, r := range b.GetRecords() {
				s.Order[b.GetStream()] = append(s.Order[b.GetStream()], r.GetExternalId())
				if r.GetDeleted() {
					s.Tombstones[b.GetStream()] = append(s.Tombstones[b.GetStream()], r.GetExternalId())
					continue
				}
				if s.Records[b.GetStream()] == nil {
					s.Records[b.GetStream()] = map[string]*connectorpb.Record{}
				}
				s.Records[b.GetStream()][r.GetExternalId()] = r
			}
		case m.GetState() != nil:
			st := m.GetState()
			s.Checkpoints[st.GetStream()] = append(s.Checkpoints[st.GetStream()], st.GetStateJson())
		case m.GetRecordError() != nil:
			e := m.GetRecordError()
			s.Errors[e.GetExternalId()] = e.GetField() + ": " + e.GetMessage()
		case m.GetLog() != nil:
			s.Logs = append(s.Logs, m.GetLog().GetMessage())
		case m.GetError() != nil:
			s.Failure = m.GetError()
		}
	}
	return s
}
