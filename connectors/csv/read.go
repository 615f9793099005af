package csv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	stdcsv "encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// checkpointEvery is how many rows one checkpoint covers: it bounds what an
// interrupted read of a large file has to repeat.
const checkpointEvery = 1000

// fileState is a stream's checkpoint. The hash decides whether the file
// changed; size and mtime ride along so that whoever inspects a source's
// state can tell which version of the file it covers. Line is the first line
// not yet read: rows starting before it are done, and a line past the end
// means the whole file is. IDs, in the checkpoint of a whole file, are the
// sorted ids of its rows: the next version of the file is compared with
// them, and the rows it no longer has are removed. A checkpoint within a
// file has none, nor one written before they were kept: a read with such
// a state lists them again from the file, which is still the same.
type fileState struct {
	Size   int64     `json:"size"`
	MTime  time.Time `json:"mtime"`
	SHA256 string    `json:"sha256"`
	Line   int       `json:"line"`
	IDs    []string  `json:"ids,omitempty"`
}

// header is a file's header row resolved against its table.
type header struct {
	// names are the columns' names as problems report them: the contract's
	// spelling for its columns, the header's own for the others.
	names []string
	index map[string]int // contract column → field index
	// custom are the field indexes of the columns with no canonical place.
	custom []int
	// warnings are custom columns named like a field Pulse keeps
	// elsewhere: imported to custom, which is likely not what was meant.
	warnings []string
}

// newReader reads CSV from r past a UTF-8 byte order mark, which
// spreadsheet programs write at the start of their "CSV UTF-8" exports.
func newReader(r io.Reader) *stdcsv.Reader {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		_, _ = br.Discard(3) // cannot fail: Peek has buffered them
	}
	cr := stdcsv.NewReader(br)
	// Rows are checked against the header here, so that a short or long
	// row is reported like any other bad row rather than ending the file.
	cr.FieldsPerRecord = -1
	return cr
}

// readHeader reads the header row and lists what is wrong with it, each
// problem a sentence; err is only for failing to read the file.
func readHeader(t *table, cr *stdcsv.Reader) (*header, []string, error) {
	names, err := cr.Read()
	var pe *stdcsv.ParseError
	switch {
	case err == io.EOF:
		return nil, []string{"the file is empty; its first row must name the columns"}, nil
	case errors.As(err, &pe):
		return nil, []string{fmt.Sprintf("header row: %v", pe.Err)}, nil
	case err != nil:
		return nil, nil, err
	}
	known := map[string]bool{deletedColumn: true}
	for _, c := range t.columns {
		known[c] = true
	}
	h := &header{index: map[string]int{}}
	seen := map[string]int{}
	var probs []string
	for i, name := range names {
		name = strings.TrimSpace(name)
		key := strings.ToLower(name)
		h.names = append(h.names, name)
		switch {
		case !utf8.ValidString(name):
			probs = append(probs, fmt.Sprintf("the name of column %d is not valid UTF-8", i+1))
			continue
		case name == "":
			// An unnamed column has no key to file its values under;
			// spreadsheets make them out of a trailing comma.
			continue
		case seen[key] > 0:
			probs = append(probs, fmt.Sprintf("columns %d and %d are both named %s", seen[key], i+1, name))
			continue
		}
		seen[key] = i + 1
		if known[key] {
			h.index[key] = i
			h.names[i] = key
		} else {
			h.custom = append(h.custom, i)
			if hint := t.misplaced(key); hint != "" {
				h.warnings = append(h.warnings, fmt.Sprintf("column %s (%d) is not a column of %s and goes to custom: %s", name, i+1, t.file, hint))
			}
		}
	}
	for _, c := range t.requiredColumns() {
		if _, ok := h.index[c]; !ok {
			probs = append(probs, fmt.Sprintf("missing required column %s (%s takes %s; any other column goes to custom)", c, t.file, t.accepted()))
		}
	}
	return h, probs, nil
}

// open opens t's file in dir. A file that is not there gives a nil file and
// no error: missing files are skipped.
func (t *table) open(dir string) (*os.File, fs.FileInfo, error) {
	f, err := os.Open(filepath.Join(dir, t.file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fileError(t.file, err)
	}
	info, err := f.Stat()
	if err == nil && info.IsDir() {
		err = errors.New("it is a folder, not a file")
	}
	if err != nil {
		_ = f.Close() // read-only: nothing to lose
		return nil, nil, fileError(t.file, err)
	}
	return f, info, nil
}

// fileError is a file the plugin cannot read. Permissions are the user's to
// fix, so they are a config error; anything else is unexpected.
func fileError(file string, err error) error {
	err = fmt.Errorf("cannot read %s: %w", file, err)
	if errors.Is(err, fs.ErrPermission) {
		return &sdk.ConfigError{Field: "path", Err: err}
	}
	return err
}

// read is every table's Stream.Read.
func (t *table) read(ctx context.Context, cfg sdk.Config, state sdk.State, w *sdk.Writer) error {
	dir, err := folder(cfg)
	if err != nil {
		return err
	}
	f, info, err := t.open(dir)
	if err != nil || f == nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose
	cur, lines, err := fingerprint(ctx, f, info)
	if err != nil {
		return fmt.Errorf("%s: %w", t.file, err)
	}
	var prev fileState
	ok, err := state.Decode(&prev)
	if err != nil {
		// A checkpoint this connector cannot read only costs a full
		// re-read, which upserts make safe.
		if err := w.Logf("%s: reading the whole file again: %v", t.file, err); err != nil {
			return err
		}
	}
	from := 0
	if ok && prev.SHA256 == cur.SHA256 {
		cur.IDs = prev.IDs
		if cur.IDs == nil {
			// Kept by a version that did not list the ids: this file's
			// own are the ones to compare the next version with.
			if cur.IDs, err = t.idsIn(f, cur.Size); err != nil {
				return err
			}
		}
		if prev.Line > lines {
			cur.Line = lines + 1
			return w.Checkpoint(cur)
		}
		from = prev.Line
	} else {
		// A new version of the file, read from the top: it is a full
		// export, so the rows of the previous version it lacks are gone.
		if cur.IDs, err = t.idsIn(f, cur.Size); err != nil {
			return err
		}
		if ok && prev.IDs != nil && cur.IDs != nil {
			refused, err := t.removeGone(cfg, w, prev.IDs, cur.IDs)
			if err != nil || refused {
				return err
			}
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", t.file, err)
	}
	// Parse exactly the bytes hashed, so the checkpoint describes them even
	// if the file grows meanwhile.
	cr := newReader(io.LimitReader(f, cur.Size))
	hdr, probs, err := readHeader(t, cr)
	if err != nil {
		return fmt.Errorf("%s: %w", t.file, err)
	}
	if len(probs) > 0 {
		return &sdk.ConfigError{Field: "path", Err: fmt.Errorf("%s: %s", t.file, strings.Join(probs, "; "))}
	}
	for _, msg := range hdr.warnings {
		if err := w.Warn(t.file+":1", msg); err != nil {
			return err
		}
	}
	w.SetColumns(hdr.columns())
	rows := 0
	// firstAt is the line of each id's first row in the file: a later row
	// of the same id is refused rather than left to win over it.
	firstAt := map[string]int{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		fields, err := cr.Read()
		var pe *stdcsv.ParseError
		var line int
		switch {
		case err == io.EOF:
			cur.Line = lines + 1
			return w.Checkpoint(cur)
		case errors.As(err, &pe):
			line = pe.StartLine
		case err != nil:
			return fmt.Errorf("%s: %w", t.file, err)
		default:
			line, _ = cr.FieldPos(0)
		}
		if line < from {
			// Read before the checkpoint: only its id still counts.
			if pe == nil && len(fields) == len(hdr.names) {
				r := &row{hdr: hdr, fields: fields}
				if id := t.id(r); len(r.probs) == 0 {
					if _, dup := firstAt[id]; !dup {
						firstAt[id] = line
					}
				}
			}
			continue
		}
		if err := t.handle(w, hdr, line, fields, pe, firstAt); err != nil {
			return err
		}
		if rows++; rows%checkpointEvery == 0 {
			// A checkpoint within the file leaves out its ids: a read
			// resuming from it lists them again from the same file.
			mid := cur
			mid.Line, mid.IDs = line+1, nil
			if err := w.Checkpoint(mid); err != nil {
				return err
			}
		}
	}
}

// idsIn lists, sorted and once each, the ids of the rows in the first size
// bytes of f, which are those its rows would be imported under; a row whose
// id cannot be read counts for none. A header with problems gives nil: the
// read reports them, and removes nothing.
func (t *table) idsIn(f *os.File, size int64) ([]string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", t.file, err)
	}
	cr := newReader(io.LimitReader(f, size))
	hdr, probs, err := readHeader(t, cr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.file, err)
	}
	if len(probs) > 0 {
		return nil, nil
	}
	ids := []string{}
	for {
		fields, err := cr.Read()
		var pe *stdcsv.ParseError
		switch {
		case err == io.EOF:
			slices.Sort(ids)
			return slices.Compact(ids), nil
		case errors.As(err, &pe):
			continue
		case err != nil:
			return nil, fmt.Errorf("%s: %w", t.file, err)
		}
		if len(fields) != len(hdr.names) {
			continue
		}
		r := &row{hdr: hdr, fields: fields}
		if id := t.id(r); len(r.probs) == 0 {
			ids = append(ids, id)
		}
	}
}

// removeGone tombstones the rows of the previous version of the file that
// the new version lacks. When they are more than the SDK's mass-delete
// share and the source does not allow it, it removes none and reports the
// file as an issue instead, and refused is true: the file is then not
// imported, and no checkpoint is written, so that the next run compares
// again with the same previous version.
func (t *table) removeGone(cfg sdk.Config, w *sdk.Writer, previous, current []string) (refused bool, err error) {
	var c config
	if err := cfg.Decode(&c); err != nil {
		return false, &sdk.ConfigError{Err: err}
	}
	gone, err := sdk.Gone(previous, current, c.AllowMassDelete)
	var mass *sdk.MassDeleteError
	if errors.As(err, &mass) {
		return true, w.RecordError("", t.file, "", fmt.Sprintf("%s: %v", t.file, mass))
	}
	for _, id := range gone {
		if err := w.Emit(sdk.Tombstone(t.entity, id)); err != nil {
			return false, err
		}
	}
	if len(gone) > 0 {
		return false, w.Logf("%s: removed %d rows the previous version had and this one lacks", t.file, len(gone))
	}
	return false, nil
}

// fingerprint hashes the file and counts its lines, reading only the size
// it had when opened so that the state matches what is parsed.
func fingerprint(ctx context.Context, f *os.File, info fs.FileInfo) (fileState, int, error) {
	h := sha256.New()
	var lc lineCounter
	n, err := io.Copy(io.MultiWriter(h, &lc), ctxReader{ctx, io.LimitReader(f, info.Size())})
	if err != nil {
		return fileState{}, 0, err
	}
	lines := lc.n
	if n > 0 && lc.last != '\n' {
		lines++
	}
	return fileState{Size: n, MTime: info.ModTime().UTC(), SHA256: hex.EncodeToString(h.Sum(nil))}, lines, nil
}

// lineCounter counts the lines written to it as the CSV reader numbers
// them: a final line without a newline still counts.
type lineCounter struct {
	n    int
	last byte
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte{'\n'})
	if len(p) > 0 {
		c.last = p[len(p)-1]
	}
	return len(p), nil
}

// ctxReader stops a long read (hashing a large file) once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// handle emits one row's record, or reports every problem of the row. An
// id that firstAt already holds is a duplicate: the row is refused naming
// the line of the first, which stands.
func (t *table) handle(w *sdk.Writer, hdr *header, line int, fields []string, parseErr *stdcsv.ParseError, firstAt map[string]int) error {
	r := &row{hdr: hdr, fields: fields}
	id, rec := t.parse(r, parseErr)
	if id != "" {
		if first, dup := firstAt[id]; dup {
			key := t.key[0]
			col := hdr.index[key] + 1
			r.fail(col, key, "duplicate id %q: first at %s:%d; this row is not imported", id, t.file, first)
		} else {
			firstAt[id] = line
		}
	}
	if len(r.probs) == 0 {
		rec.Origin = fmt.Sprintf("%s:%d", t.file, line)
		return w.Emit(rec)
	}
	slices.SortStableFunc(r.probs, func(a, b problem) int { return a.col - b.col })
	for _, p := range r.probs {
		origin := fmt.Sprintf("%s:%d:%d", t.file, line, p.col)
		if p.col == 0 {
			origin = fmt.Sprintf("%s:%d", t.file, line)
		}
		if err := w.RecordError(id, origin, p.field, p.msg); err != nil {
			return err
		}
	}
	return nil
}

// parse maps a row to its record, noting its problems on r. The id is
// empty when the row has no usable one.
func (t *table) parse(r *row, parseErr *stdcsv.ParseError) (string, *connectorpb.Record) {
	n, got := len(r.hdr.names), len(r.fields)
	switch {
	case parseErr != nil:
		// The reader returns the fields before the broken one.
		msg := parseErr.Err.Error()
		if parseErr.Line != parseErr.StartLine {
			msg += fmt.Sprintf(" (the row runs to line %d)", parseErr.Line)
		}
		r.fail(got+1, r.hdr.name(got), "%s", msg)
		return "", nil
	case got != n:
		// Fields cannot be matched to columns, so nothing else is checked.
		col := min(got, n) + 1
		r.fail(col, r.hdr.name(col-1), "the row has %d fields, the header has %d", got, n)
		return "", nil
	}
	id := t.id(r)
	if len(r.probs) > 0 {
		id = ""
	}
	if r.deleted() {
		// Only the id of a deleted row matters; the rest is not checked.
		return id, sdk.Tombstone(t.entity, id)
	}
	rec := t.build(r, id)
	rec.Custom = customStruct(r.custom())
	return id, rec
}

// columns maps each record field a column fills to its 1-based column, for
// the host to point at the cell of a problem it finds (sdk.Writer.SetColumns).
// The contract's columns name record fields the short way ("id",
// "account_id"); the others land in the custom map.
func (h *header) columns() map[string]int {
	out := make(map[string]int, len(h.index)+len(h.custom))
	for name, i := range h.index {
		out[protoField(name)] = i + 1
	}
	for _, i := range h.custom {
		out["custom."+h.names[i]] = i + 1
	}
	return out
}

// protoField is the connector.proto name of the field a contract column
// fills: "id" is the record's external_id, and a reference such as
// account_id is account_external_id.
func protoField(column string) string {
	if column == "id" {
		return "external_id"
	}
	if entity, ok := strings.CutSuffix(column, "_id"); ok {
		return entity + "_external_id"
	}
	return column
}

// name is column i's name, or empty past the header's end.
func (h *header) name(i int) string {
	if i < len(h.names) {
		return h.names[i]
	}
	return ""
}

func customStruct(fields map[string]string) *structpb.Struct {
	if len(fields) == 0 {
		return nil
	}
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(fields))}
	for k, v := range fields {
		s.Fields[k] = structpb.NewStringValue(v)
	}
	return s
}
