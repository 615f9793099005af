package conformance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk/launch"
)

// record is one record as read, with the key the multiset rules compare.
type record struct {
	stream string
	pb     *connectorpb.Record
	// key is "stream/external id", " [tombstone]" for a tombstone, then
	// " #" and the start of the SHA-256 of the record's deterministic
	// encoding: two records are the same only when every field is.
	key string
}

// label is the key without its hash, for messages.
func (r record) label() string { return label(r.key) }

func label(key string) string {
	l, _, _ := strings.Cut(key, " #")
	return l
}

func newRecord(stream string, r *connectorpb.Record) (record, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
	if err != nil {
		return record{}, fmt.Errorf("conformance: encode record %s: %w", r.GetExternalId(), err)
	}
	sum := sha256.Sum256(b)
	key := stream + "/" + r.GetExternalId()
	if r.GetDeleted() {
		key += " [tombstone]"
	}
	return record{stream: stream, pb: r, key: key + " #" + hex.EncodeToString(sum[:6])}, nil
}

// event is a record or a checkpoint, in the order the read sent them.
type event struct {
	rec        *record
	checkpoint *connectorpb.StateCheckpoint
}

// readResult is everything one read sent.
type readResult struct {
	events       []event
	recordErrors []*connectorpb.RecordError
	// connErr is the Error message that ended the read, err a failure of
	// the call itself (a crash, a timeout).
	connErr *connectorpb.Error
	err     error
}

// failure says why the read did not complete, or "" when it did.
func (r *readResult) failure() string {
	switch {
	case r.err != nil:
		return r.err.Error()
	case r.connErr != nil:
		e := r.connErr
		msg := fmt.Sprintf("the connector ended the read with a %s error", strings.ToLower(strings.TrimPrefix(e.GetKind().String(), "KIND_")))
		if e.GetStream() != "" {
			msg += " in stream " + e.GetStream()
		}
		if e.GetField() != "" {
			msg += " on field " + e.GetField()
		}
		return msg + ": " + e.GetMessage()
	}
	return ""
}

// records is every record the read sent, of the given streams (all when
// streams is nil).
func (r *readResult) records(streams map[string]bool) multiset {
	m := multiset{}
	for _, e := range r.events {
		if e.rec != nil && (streams == nil || streams[e.rec.stream]) {
			m[e.rec.key]++
		}
	}
	return m
}

// checkpoints are the indexes in events of the read's checkpoints.
func (r *readResult) checkpoints() []int {
	var out []int
	for i, e := range r.events {
		if e.checkpoint != nil {
			out = append(out, i)
		}
	}
	return out
}

// committed is what a host has committed once it handled the first n
// events: each stream's last checkpoint, and the records each covers (a
// stream's records sent before its last checkpoint).
func (r *readResult) committed(n int) (map[string][]byte, multiset) {
	state := map[string][]byte{}
	done := multiset{}
	pending := map[string][]string{}
	for _, e := range r.events[:n] {
		switch {
		case e.rec != nil:
			pending[e.rec.stream] = append(pending[e.rec.stream], e.rec.key)
		case e.checkpoint != nil:
			st := e.checkpoint.GetStream()
			state[st] = e.checkpoint.GetStateJson()
			for _, k := range pending[st] {
				done[k]++
			}
			delete(pending, st)
		}
	}
	return state, done
}

// finalState is each stream's last checkpoint.
func (r *readResult) finalState() map[string][]byte {
	state, _ := r.committed(len(r.events))
	return state
}

// read runs one Read on conn from state and collects what it sends.
// observe, when set, sees every message first, as it arrives.
func (s *suite) read(ctx context.Context, conn *launch.Conn, config []byte, state map[string][]byte, observe func(*connectorpb.ReadMessage)) *readResult {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	res := &readResult{}
	req := &connectorpb.ReadRequest{ConfigJson: config, State: state}
	res.err = conn.Read(ctx, req, func(m *connectorpb.ReadMessage) error {
		if observe != nil {
			observe(m)
		}
		switch msg := m.GetMessage().(type) {
		case *connectorpb.ReadMessage_Batch:
			for _, pb := range msg.Batch.GetRecords() {
				rec, err := newRecord(msg.Batch.GetStream(), pb)
				if err != nil {
					return err
				}
				res.events = append(res.events, event{rec: &rec})
			}
		case *connectorpb.ReadMessage_State:
			res.events = append(res.events, event{checkpoint: msg.State})
		case *connectorpb.ReadMessage_RecordError:
			res.recordErrors = append(res.recordErrors, msg.RecordError)
		case *connectorpb.ReadMessage_Error:
			res.connErr = msg.Error
		}
		return nil
	})
	return res
}

// multiset counts records by key.
type multiset map[string]int

// plus is m and o together.
func (m multiset) plus(o multiset) multiset {
	out := maps.Clone(m)
	for k, n := range o {
		out[k] += n
	}
	return out
}

// size is how many records m holds.
func (m multiset) size() int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// diff compares got with want: lost are the records want has more of,
// doubled those got has more of, each spelled once per missing or extra copy.
func diff(want, got multiset) (lost, doubled []string) {
	for _, k := range slices.Sorted(maps.Keys(want)) {
		for range want[k] - got[k] {
			lost = append(lost, label(k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		for range got[k] - want[k] {
			doubled = append(doubled, label(k))
		}
	}
	return lost, doubled
}

// excess lists the records got has more of than want.
func excess(want, got multiset) []string {
	_, extra := diff(want, got)
	return extra
}

// describeDiff spells out a diff, or "" when there is none.
func describeDiff(lost, doubled []string) string {
	var parts []string
	if len(lost) > 0 {
		parts = append(parts, fmt.Sprintf("lost %d (%s)", len(lost), examples(lost)))
	}
	if len(doubled) > 0 {
		parts = append(parts, fmt.Sprintf("doubled %d (%s)", len(doubled), examples(doubled)))
	}
	return strings.Join(parts, ", ")
}

// examples lists the first few items, saying how many more there are.
func examples(items []string) string {
	const show = 3
	if len(items) <= show {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:show], ", "), len(items)-show)
}
