package sdk

import (
	"encoding/json"
	"fmt"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// DefaultBatchSize is how many records a Writer sends in one message.
const DefaultBatchSize = 1000

// Writer sends one stream's records, batched, and its checkpoints, each
// after the records it covers.
type Writer struct {
	stream    string
	send      func(*connectorpb.ReadMessage) error
	batch     []*connectorpb.Record
	batchSize int
	emitted   int64
	total     int64
	columns   map[string]uint32
}

func newWriter(stream string, batchSize int, send func(*connectorpb.ReadMessage) error) *Writer {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	return &Writer{stream: stream, send: send, batchSize: batchSize}
}

// Emit queues a record, sending a batch when it is full.
func (w *Writer) Emit(r *connectorpb.Record) error {
	if r.GetExternalId() == "" {
		return fmt.Errorf("stream %s: record of type %s has no external id", w.stream, r.GetEntityType())
	}
	w.batch = append(w.batch, r)
	w.emitted++
	if len(w.batch) >= w.batchSize {
		return w.Flush()
	}
	return nil
}

// Flush sends the queued records now.
func (w *Writer) Flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	msg := &connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Batch{Batch: &connectorpb.RecordBatch{Stream: w.stream, Records: w.batch, Columns: w.columns}}}
	w.batch = nil
	if err := w.send(msg); err != nil {
		return fmt.Errorf("stream %s: send batch: %w", w.stream, err)
	}
	return w.send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Progress{Progress: &connectorpb.Progress{Stream: w.stream, RecordsRead: w.emitted, RecordsTotal: w.total}}})
}

// Checkpoint flushes the queued records, then sends state: once the host
// commits it, a resumed read receives state and must continue after it.
func (w *Writer) Checkpoint(state any) error {
	if err := w.Flush(); err != nil {
		return err
	}
	b, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("stream %s: encode state: %w", w.stream, err)
	}
	return w.send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_State{State: &connectorpb.StateCheckpoint{Stream: w.stream, StateJson: b}}})
}

// SetColumns tells the host, for records read from a file of columns, the
// 1-based column of each record field, so that a problem the host finds in
// a field points at its cell: file:line:column, the record's origin being
// file:line. Fields are named as RecordBatch.columns says: "id", "name",
// "account_id", "custom.<key>".
func (w *Writer) SetColumns(columns map[string]int) {
	w.columns = make(map[string]uint32, len(columns))
	for field, col := range columns {
		w.columns[field] = uint32(col)
	}
}

// SetTotal tells the host how many records the stream expects, for its
// progress display.
func (w *Writer) SetTotal(n int64) { w.total = n }

// Logf sends an informational line to the host's log.
func (w *Writer) Logf(format string, args ...any) error {
	return w.send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Log{Log: &connectorpb.Log{Message: fmt.Sprintf(format, args...)}}})
}

// Warn tells the host of something in the source that is imported but
// likely not as meant, such as a column named like a field of another
// file: the host lists it on the run as a warning, which rejects nothing.
// where says where it is ("accounts.csv:1"). The stream's progress goes
// first, so that the host files the warning under this stream.
func (w *Writer) Warn(where, message string) error {
	if err := w.send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Progress{Progress: &connectorpb.Progress{Stream: w.stream, RecordsRead: w.emitted, RecordsTotal: w.total}}}); err != nil {
		return err
	}
	return w.send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_Log{Log: &connectorpb.Log{Level: connectorpb.Log_LEVEL_WARN, Message: where + ": " + message}}})
}

// Emitted is how many records this writer has been given.
func (w *Writer) Emitted() int64 { return w.emitted }

// RecordError reports a source row that could not become a record; the read
// goes on. origin says where the row is ("file.csv:12:3"), field names the
// offending source field.
func (w *Writer) RecordError(externalID, origin, field, message string) error {
	return w.send(&connectorpb.ReadMessage{Message: &connectorpb.ReadMessage_RecordError{RecordError: &connectorpb.RecordError{
		Stream: w.stream, ExternalId: externalID, Origin: origin, Field: field, Message: message,
	}}})
}
