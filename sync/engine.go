package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	gosync "sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/pulseproject/pulse/connectors/host"
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/secrets"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
)

// MaxIssuesPerRun bounds how many record-level issues one run lists; the
// counts stay exact beyond it.
const MaxIssuesPerRun = 1000

// DefaultCommitEvery is the Engine.CommitEvery of Pulse's commands: a
// few seconds of work per commit at most, and a few thousand rows per
// statement, where a statement's fixed cost is small next to its rows.
const DefaultCommitEvery = 5000

// Progress is a snapshot of a running sync, for a progress display.
type Progress struct {
	RunID  uuid.UUID
	Stream string
	// Read counts the stream's records received, Total the connector's
	// estimate (0 when unknown).
	Read, Total int64
	// Committed is true right after a checkpoint was committed.
	Committed bool
	// Done is true once, when the stream has sent all it will: Read is
	// then the stream's final count, the run's READ for it.
	Done bool
	Pid  int
}

// Engine runs syncs.
type Engine struct {
	DB      *gorm.DB
	Host    *host.Host
	Sources *sources.Service
	Logger  *slog.Logger
	// OnProgress, when set, is called from the run's goroutine as records
	// arrive and after each commit.
	OnProgress func(Progress)
	// OnRun, when set, is called with the run as created, and again
	// once its outcome is stored.
	OnRun func(domain.SyncRun)
	// AfterRun, when set, is called from the run's goroutine once the run
	// is stored, whatever its outcome, with the accounts whose data it
	// changed (see TouchedAccounts), before Run returns; so that what is
	// derived from them, such as health scores, can follow.
	AfterRun func(ctx context.Context, run *domain.SyncRun, touched []uuid.UUID)
	// CommitEvery is how many records a run gathers before it writes and
	// commits them: a checkpoint is committed, with the records before
	// it, once at least this many arrived since the last commit, and the
	// records of one stream are written together, up to this many, in
	// one statement per table. A run cut off loses what it gathered since
	// its last commit, and reads it again from that checkpoint. Zero
	// writes each batch as it comes and commits every checkpoint.
	CommitEvery int
	// Worker names this process on the runs it makes; default host:pid
	// (see ProcessName).
	Worker string
	// Lease is how long a run holds its source without renewing;
	// default DefaultLease.
	Lease time.Duration

	// runs counts the runs Start carries out, for Wait.
	runs gosync.WaitGroup
}

// Wait blocks until every run Start began has ended, and with it its
// connector's process, or until ctx ends. A process that stops must wait:
// a run cut off by its exit leaves its plugin running, orphaned.
func (e *Engine) Wait(ctx context.Context) error {
	ended := make(chan struct{})
	go func() {
		e.runs.Wait()
		close(ended)
	}()
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sync: wait for runs: %w", ctx.Err())
	}
}

// touchedTables are the tables whose rows belong to an account, and the
// column naming it.
var touchedTables = []struct{ table, account string }{
	{"accounts", "id"}, {"contacts", "account_id"}, {"account_team", "account_id"}, {"activities", "account_id"},
	{"deals", "account_id"}, {"subscription_items", "account_id"}, {"tickets", "account_id"}, {"survey_responses", "account_id"},
}

// TouchedAccounts returns the accounts whose rows source src wrote or
// deleted since instant since: a sync rewrites a row only when its data
// changed, so a run that changed nothing touches nothing.
func (e *Engine) TouchedAccounts(ctx context.Context, src uuid.UUID, since time.Time) ([]uuid.UUID, error) {
	parts := make([]string, len(touchedTables))
	for i, t := range touchedTables {
		parts[i] = "SELECT " + t.account + " FROM " + t.table + " WHERE source_id = @src AND updated_at >= @since"
	}
	var ids []uuid.UUID
	err := e.DB.WithContext(ctx).Raw("SELECT DISTINCT id FROM ("+strings.Join(parts, " UNION ALL ")+") t(id) ORDER BY id",
		map[string]any{"src": src, "since": since.Truncate(time.Microsecond)}).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("sync: touched accounts: %w", err)
	}
	return ids, nil
}

// The error Run returns for a run that did not complete wraps one of
// these, by the status it was stored with (with its error either way).
var (
	ErrRunFailed      = errors.New("sync failed")
	ErrRunPaused      = errors.New("sync paused")
	ErrRunInterrupted = errors.New("sync interrupted")
)

// Run syncs src once and returns the stored run. The error is nil when the
// run completed (succeeded, or partial: it rejected some records), and
// wraps ErrRunFailed, ErrRunPaused or ErrRunInterrupted otherwise.
func (e *Engine) Run(ctx context.Context, src *domain.Source, trigger string) (*domain.SyncRun, error) {
	run, done, err := e.Start(ctx, src, trigger)
	if err != nil {
		return nil, err
	}
	runErr := <-done
	final := &domain.SyncRun{}
	if err := e.DB.WithContext(context.WithoutCancel(ctx)).Preload("Streams").First(final, "id = ?", run.ID).Error; err != nil {
		return run, errors.Join(runErr, fmt.Errorf("sync %s: reload run: %w", src.Name, err))
	}
	return final, runErr
}

// Start creates the run and carries it out in the background, for as long
// as ctx lasts; done delivers Run's error when it ends. The returned run is
// the row as created; read it again for its outcome.
func (e *Engine) Start(ctx context.Context, src *domain.Source, trigger string) (run *domain.SyncRun, done <-chan error, err error) {
	return e.StartJob(ctx, src, trigger, nil)
}

// StartJob is Start for a run made for the background job jobID (nil for
// none), which the run records.
//
// The run takes its source by a lease on its row (see store.TakeSource):
// if a live run holds it, StartJob returns an error wrapping ErrBusy and
// a *store.HeldError naming that run. A run whose process is gone is
// ended interrupted first, and told through OnRun.
func (e *Engine) StartJob(ctx context.Context, src *domain.Source, trigger string, jobID *int64) (run *domain.SyncRun, done <-chan error, err error) {
	// The goroutine keeps its own pointer: the named result run is set
	// again by the return below, while it reads it.
	running := &domain.SyncRun{ID: uuid.Must(uuid.NewV7()), SourceID: src.ID, Status: domain.RunRunning, Trigger: trigger,
		StartedAt: time.Now().UTC(), Worker: e.worker(), JobID: jobID}
	ended, err := store.TakeSource(ctx, e.DB, running, e.lease(), Gone)
	if err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return nil, nil, fmt.Errorf("sync %s: %w: %w", src.Name, ErrBusy, err)
		}
		return nil, nil, fmt.Errorf("sync %s: %w", src.Name, err)
	}
	if e.OnRun != nil {
		for _, r := range ended {
			e.OnRun(r)
		}
	}
	created := *running
	if e.OnRun != nil {
		e.OnRun(created)
	}
	ch := make(chan error, 1)
	e.runs.Add(1)
	go func() {
		defer e.runs.Done()
		runCtx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		r := &runner{Engine: e, src: src, run: running, streams: map[string]*domain.SyncRunStream{}, stored: map[string]int64{}, analyzeAt: map[string]int64{},
			states: map[string]*connectorpb.StateCheckpoint{}, unsaved: map[string]bool{}}
		r.redact = r.redactor()
		stopBeat := r.heartbeat(runCtx, cancel)
		runErr := r.execute(runCtx)
		stopBeat()
		if runErr != nil && runCtx.Err() != nil {
			// Whatever broke once ctx ended (a cancelled statement, a
			// closed plugin stream) is the interruption, not a failure.
			runErr = &interruptedError{cause: context.Cause(runCtx)}
		}
		if errors.Is(runErr, store.ErrLeaseLost) {
			runErr = &interruptedError{cause: store.ErrLeaseLost}
		}
		err := r.finish(runErr)
		if err != nil {
			ch <- err
			return
		}
		r.afterRun(ctx)
		if e.OnRun != nil {
			e.OnRun(*r.run)
		}
		ch <- runOutcome(src.Name, runErr, r.redact)
	}()
	return &created, ch, nil
}

// worker is the name the engine's runs record.
func (e *Engine) worker() string {
	if e.Worker == "" {
		return ProcessName("")
	}
	return e.Worker
}

func (e *Engine) lease() time.Duration {
	if e.Lease <= 0 {
		return DefaultLease
	}
	return e.Lease
}

// heartbeat renews the run's lease every third of it while the connector
// is slow between batches, and cancels the run, with ErrLeaseLost as the
// cause, once another process has taken the source. The returned func
// stops it.
func (r *runner) heartbeat(ctx context.Context, cancel context.CancelCauseFunc) func() {
	every := r.lease() / 3
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := store.RenewLease(ctx, r.DB, r.run.ID, r.worker(), r.lease())
			switch {
			case errors.Is(err, store.ErrLeaseLost):
				cancel(store.ErrLeaseLost)
				return
			case err != nil && ctx.Err() == nil:
				// A commit renews it too, and checks it: the run stops
				// there if the lease was lost meanwhile.
				r.log().Warn("renew lease", "err", err)
			}
		}
	}()
	return func() {
		close(stop)
		<-stopped
	}
}

// runOutcome is the error Run returns for a run that ended with runErr,
// its text redacted as the stored run's is.
func runOutcome(source string, runErr error, red *secrets.Redactor) error {
	var paused *pausedError
	var interrupted *interruptedError
	kind := ErrRunFailed
	switch {
	case runErr == nil:
		return nil
	case errors.As(runErr, &paused):
		kind = ErrRunPaused
	case errors.As(runErr, &interrupted):
		kind = ErrRunInterrupted
	}
	return fmt.Errorf("%w: %s: %s", kind, source, red.Redact(runErr.Error()))
}

// interruptedError ends a run whose context ended before it did.
type interruptedError struct{ cause error }

func (i *interruptedError) Error() string { return "interrupted: " + i.cause.Error() }

// ErrBusy is returned when a live run of the same source holds it, in
// this process or another one sharing the database.
// It wraps domain.ErrConflict.
var ErrBusy = fmt.Errorf("a sync of this source is already running: %w", domain.ErrConflict)

// runner is the state of one run.
type runner struct {
	*Engine
	src     *domain.Source
	run     *domain.SyncRun
	streams map[string]*domain.SyncRunStream
	issues  []issue
	// tx is open from the first batch after a commit until the next
	// commit stores the checkpoints received since, with their records.
	tx *gorm.DB
	// gathered are records of stream gatheredStream (from files of
	// columns gatheredColumns) received and not yet written; states the
	// checkpoints received since the last commit, by stream; and
	// sinceCommit counts the records received since then.
	gathered        []*connectorpb.Record
	gatheredStream  string
	gatheredColumns map[string]uint32
	states          map[string]*connectorpb.StateCheckpoint
	sinceCommit     int
	// unsaved are the streams whose counts changed since they were last
	// saved.
	unsaved map[string]bool
	connErr *connectorpb.Error
	pid     int
	// current is the stream being read: streams are read one after
	// another, so a message of another stream means it has ended.
	current     string
	hadDeferred bool
	// stored counts the rows stored per entity type in this run, and
	// analyzeAt is the count at which its tables are analyzed next.
	stored, analyzeAt map[string]int64
	// redact clears what the connector and its vendor say of credentials
	// before the run stores, logs or returns it: the run's error, its
	// issues and the connector's log lines all pass through it.
	redact *secrets.Redactor
}

// redactor removes the source's secret values, and whatever has the shape
// of a credential, from text. A source whose secrets cannot be opened
// fails its run anyway; its text is still cleared of credential shapes.
func (r *runner) redactor() *secrets.Redactor {
	values, err := r.Sources.SecretValues(r.src)
	if err != nil {
		return secrets.NewRedactor()
	}
	return secrets.NewRedactor(values...)
}

func (r *runner) log() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger.With("source", r.src.Name, "run", r.run.ID)
}

func (r *runner) execute(ctx context.Context) error {
	cfg, err := r.Sources.ConfigJSON(r.src)
	if err != nil {
		return err
	}
	var states []domain.StreamState
	if err := r.DB.WithContext(ctx).Where("source_id = ?", r.src.ID).Find(&states).Error; err != nil {
		return fmt.Errorf("load checkpoints: %w", err)
	}
	var deferredCount int64
	if err := r.DB.WithContext(ctx).Table("deferred_records").Where("source_id = ?", r.src.ID).Count(&deferredCount).Error; err != nil {
		return fmt.Errorf("count deferred records: %w", err)
	}
	r.hadDeferred = deferredCount > 0
	req := &connectorpb.ReadRequest{ConfigJson: cfg, State: map[string][]byte{}}
	for _, s := range states {
		req.State[s.Stream] = s.State
	}
	conn, err := r.Host.Launch(ctx, r.src.Kind)
	if err != nil {
		return err
	}
	defer conn.Close()
	r.pid = conn.Pid()
	// The source's rate limit lives in the host, not the plugin process,
	// so that a hold the vendor asked for outlasts this run: the next run
	// waits for it, or ends at once as paused until it.
	lim := r.Host.Limiter(r.src.ID.String())
	if err := r.holdForEarlierPause(ctx, lim); err != nil {
		return err
	}
	err = readAhead(ctx, func(ctx context.Context, handle func(*connectorpb.ReadMessage) error) error {
		return conn.ReadLimited(ctx, req, lim, handle)
	}, func(m *connectorpb.ReadMessage) error { return r.handle(ctx, m) })
	if err == nil && r.connErr != nil {
		// The connector ended the read itself (paused by a rate limit, a
		// config error, its own failure) after sending records that
		// passed: they are kept, as on success. Records of a full-refresh
		// stream, which never checkpoints, would otherwise be lost with
		// every pause. No checkpoint moves, so the next run reads them
		// again and writes nothing new.
		if err := r.commit(ctx); err != nil {
			return err
		}
		return connectorError(r.connErr)
	}
	if err != nil {
		r.rollback()
		return err
	}
	// Records after the last checkpoint are idempotent upserts: commit
	// them, a rerun would only write them again.
	if err := r.commit(ctx); err != nil {
		return err
	}
	r.streamDone()
	return r.retryDeferred(ctx)
}

// aheadMessages is how many messages a run receives ahead of the one it
// writes.
const aheadMessages = 4

// readAhead runs read, which calls its handler with each message, in a
// goroutine of its own, and hands the messages to handle here, in order:
// the connector makes and sends the next records, and the host receives
// and decodes them, while the database writes the last ones. The error is
// handle's if it failed, else read's once every message it sent before
// is handled.
func readAhead(ctx context.Context, read func(context.Context, func(*connectorpb.ReadMessage) error) error, handle func(*connectorpb.ReadMessage) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	msgs := make(chan *connectorpb.ReadMessage, aheadMessages)
	readErr := make(chan error, 1)
	go func() {
		defer close(msgs)
		readErr <- read(ctx, func(m *connectorpb.ReadMessage) error {
			select {
			case msgs <- m:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	}()
	for m := range msgs {
		if err := handle(m); err != nil {
			cancel(err)
			for range msgs {
				// The reader stops at its next message; what it
				// received is dropped.
			}
			return err
		}
	}
	return <-readErr
}

// holdForEarlierPause keeps the source's limiter from calling the vendor
// before the time a paused run of the source was told, by whichever Pulse
// process ran it: a host remembers only the holds of its own runs.
func (r *runner) holdForEarlierPause(ctx context.Context, lim *host.Limiter) error {
	var last domain.SyncRun
	err := r.DB.WithContext(ctx).Where("source_id = ? AND paused_until IS NOT NULL", r.src.ID).
		Order("paused_until DESC").Limit(1).Find(&last).Error
	if err != nil {
		return fmt.Errorf("read earlier pauses: %w", err)
	}
	if last.PausedUntil == nil {
		return nil
	}
	reason := strings.TrimPrefix(last.Error, "paused until "+last.PausedUntil.UTC().Format(time.RFC3339)+": ")
	return lim.Hold(ctx, *last.PausedUntil, "run "+last.ID.String()+" was paused: "+reason)
}

func connectorError(e *connectorpb.Error) error {
	// The message is stored on the run: bad text in it must not keep the
	// run's outcome from being stored.
	msg := validate.PrintableText(e.GetMessage())
	if e.GetStream() != "" {
		msg = "stream " + e.GetStream() + ": " + msg
	}
	switch e.GetKind() {
	case connectorpb.Error_KIND_CONFIG:
		return fmt.Errorf("configuration error: %s", msg)
	case connectorpb.Error_KIND_TRANSIENT:
		return &pausedError{msg: msg, until: e.GetRetryAfter().AsTime()}
	}
	return fmt.Errorf("connector error: %s", msg)
}

// pausedError ends a run that a later retry can finish from its checkpoint.
type pausedError struct {
	msg   string
	until time.Time
}

func (p *pausedError) Error() string {
	if p.until.Unix() <= 0 {
		return "paused: " + p.msg
	}
	return fmt.Sprintf("paused until %s: %s", p.until.UTC().Format(time.RFC3339), p.msg)
}

func (r *runner) stream(name string) *domain.SyncRunStream {
	s, ok := r.streams[name]
	if !ok {
		s = &domain.SyncRunStream{RunID: r.run.ID, Stream: name, StartedAt: time.Now().UTC()}
		r.streams[name] = s
	}
	// Whoever asks for the stream may change its counts.
	r.unsaved[name] = true
	return s
}

// streamOf is the stream a message is about, or "".
func streamOf(m *connectorpb.ReadMessage) string {
	switch msg := m.GetMessage().(type) {
	case *connectorpb.ReadMessage_Batch:
		return msg.Batch.GetStream()
	case *connectorpb.ReadMessage_State:
		return msg.State.GetStream()
	case *connectorpb.ReadMessage_Progress:
		return msg.Progress.GetStream()
	case *connectorpb.ReadMessage_RecordError:
		return msg.RecordError.GetStream()
	}
	return ""
}

// streamDone tells OnProgress the current stream has ended, with its
// final count.
func (r *runner) streamDone() {
	if r.current == "" {
		return
	}
	if r.OnProgress != nil {
		s := r.stream(r.current)
		r.OnProgress(Progress{RunID: r.run.ID, Stream: r.current, Read: s.RecordsRead, Done: true, Pid: r.pid})
	}
	r.current = ""
}

func (r *runner) handle(ctx context.Context, m *connectorpb.ReadMessage) error {
	if name := streamOf(m); name != "" && name != r.current {
		// A stream that ended has what was gathered of it committed
		// before it is told done, so that its last word is its count.
		if r.current != "" && r.CommitEvery > 0 {
			if err := r.commit(ctx); err != nil {
				return err
			}
		}
		r.streamDone()
		r.current = name
	}
	switch msg := m.GetMessage().(type) {
	case *connectorpb.ReadMessage_Batch:
		return r.batch(ctx, msg.Batch)
	case *connectorpb.ReadMessage_State:
		return r.checkpoint(ctx, msg.State)
	case *connectorpb.ReadMessage_Progress:
		if r.OnProgress != nil {
			p := msg.Progress
			r.OnProgress(Progress{RunID: r.run.ID, Stream: p.GetStream(), Read: p.GetRecordsRead(), Total: p.GetRecordsTotal(), Pid: r.pid})
		}
	case *connectorpb.ReadMessage_Log:
		text := r.redact.Redact(msg.Log.GetMessage())
		r.log().Info(text, "level", msg.Log.GetLevel().String())
		// A warning is about the source's data: the run lists it, under
		// the stream being read (sdk.Writer.Warn), and rejects nothing.
		if msg.Log.GetLevel() == connectorpb.Log_LEVEL_WARN {
			r.addIssues(issue{r.current, domain.IssueWarning, "", "", "", text})
		}
	case *connectorpb.ReadMessage_RecordError:
		x := msg.RecordError
		s := r.stream(x.GetStream())
		s.RecordsRejected++
		r.run.RecordsRejected++
		r.addIssues(issue{x.GetStream(), domain.IssueSource, x.GetExternalId(), x.GetOrigin(), x.GetField(), x.GetMessage()})
	case *connectorpb.ReadMessage_Error:
		r.connErr = msg.Error
	}
	return nil
}

// addIssues lists issues on the run. An issue may quote the bad text it
// is about, in its id or origin, or a connector's RecordError may carry
// it: it is stored printable, so that reporting bad text cannot fail the run.
func (r *runner) addIssues(is ...issue) {
	for _, i := range is {
		if len(r.issues) >= MaxIssuesPerRun {
			return
		}
		for _, s := range []*string{&i.stream, &i.externalID, &i.origin, &i.field, &i.message} {
			*s = validate.PrintableText(*s)
		}
		r.issues = append(r.issues, i)
	}
}

// begin opens the transaction of the next batches, whose first statement
// renews the run's lease: a run that lost its source stops before it
// writes, and the run's row stays locked until the batch commits, so no
// one takes the source in the middle of it.
func (r *runner) begin(ctx context.Context) error {
	if r.tx != nil {
		return nil
	}
	tx := r.DB.WithContext(ctx).Begin()
	if tx.Error != nil {
		return fmt.Errorf("begin: %w", tx.Error)
	}
	if err := store.RenewLease(ctx, tx, r.run.ID, r.worker(), r.lease()); err != nil {
		tx.Rollback()
		return err
	}
	r.tx = tx
	return nil
}

// batch gathers the records of b, and writes what is gathered once it
// reaches CommitEvery records. Records of another stream, or of a file of
// other columns, are written first: one write is of one stream.
func (r *runner) batch(ctx context.Context, b *connectorpb.RecordBatch) error {
	if len(r.gathered) > 0 && (b.GetStream() != r.gatheredStream || !maps.Equal(b.GetColumns(), r.gatheredColumns)) {
		if err := r.write(ctx); err != nil {
			return err
		}
	}
	r.gathered = append(r.gathered, b.GetRecords()...)
	r.gatheredStream, r.gatheredColumns = b.GetStream(), b.GetColumns()
	n := int64(len(b.GetRecords()))
	s := r.stream(b.GetStream())
	s.RecordsRead += n
	r.run.RecordsRead += n
	r.sinceCommit += len(b.GetRecords())
	if len(r.gathered) >= r.CommitEvery {
		return r.write(ctx)
	}
	return nil
}

// write applies the gathered records in the open transaction, opening
// one if needed.
func (r *runner) write(ctx context.Context) error {
	if len(r.gathered) == 0 {
		return nil
	}
	if err := r.begin(ctx); err != nil {
		return err
	}
	recs, stream, columns := r.gathered, r.gatheredStream, r.gatheredColumns
	r.gathered, r.gatheredColumns = nil, nil
	a := &applier{tx: r.tx, sourceID: r.src.ID, now: time.Now().UTC()}
	out, err := a.apply(ctx, stream, recs, columns)
	if err != nil {
		return err
	}
	if err := r.settle(ctx, a, out); err != nil {
		return err
	}
	for entity, ids := range out.applied {
		r.stored[entity] += int64(len(ids))
	}
	s := r.stream(stream)
	s.RecordsWritten += out.written
	r.run.RecordsWritten += out.written
	s.RecordsDeleted += out.deleted
	r.run.RecordsDeleted += out.deleted
	s.RecordsDeferred += int64(len(out.deferred))
	r.run.RecordsDeferred += int64(len(out.deferred))
	s.RecordsRejected += int64(len(out.rejected))
	r.run.RecordsRejected += int64(len(out.rejected))
	return nil
}

// checkpoint keeps st, to be committed with the records before it, and
// commits once CommitEvery records arrived since the last commit.
func (r *runner) checkpoint(ctx context.Context, st *connectorpb.StateCheckpoint) error {
	r.states[st.GetStream()] = st
	r.stream(st.GetStream())
	if r.sinceCommit < r.CommitEvery {
		return nil
	}
	return r.commit(ctx)
}

// settle keeps deferred records aside and drops the deferred copies of
// records that have now been stored.
func (r *runner) settle(ctx context.Context, a *applier, out outcome) error {
	r.addIssues(out.rejected...)
	r.addIssues(out.warned...)
	if len(out.deferred) > 0 {
		r.hadDeferred = true
		rows := make([]map[string]any, 0, len(out.deferred))
		for _, d := range out.deferred {
			b, err := proto.Marshal(d.rec)
			if err != nil {
				return fmt.Errorf("encode deferred record: %w", err)
			}
			rows = append(rows, map[string]any{
				"source_id": r.src.ID, "entity_type": entityNames[d.rec.GetEntityType()], "external_id": d.rec.GetExternalId(),
				"stream": d.stream, "record": b, "reason": d.reason, "first_seen_at": a.now, "last_tried_at": a.now, "attempts": 1,
			})
			r.addIssues(issue{d.stream, domain.IssueDeferred, d.rec.GetExternalId(), d.rec.GetOrigin(), "", d.reason})
		}
		err := a.tx.WithContext(ctx).Table("deferred_records").Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "source_id"}, {Name: "entity_type"}, {Name: "external_id"}},
			DoUpdates: clause.Set{
				{Column: clause.Column{Name: "record"}, Value: clause.Column{Table: "excluded", Name: "record"}},
				{Column: clause.Column{Name: "reason"}, Value: clause.Column{Table: "excluded", Name: "reason"}},
				{Column: clause.Column{Name: "stream"}, Value: clause.Column{Table: "excluded", Name: "stream"}},
				{Column: clause.Column{Name: "last_tried_at"}, Value: clause.Column{Table: "excluded", Name: "last_tried_at"}},
				{Column: clause.Column{Name: "attempts"}, Value: clause.Expr{SQL: "deferred_records.attempts + 1"}},
			},
		}).Create(rows).Error
		if err != nil {
			return fmt.Errorf("keep deferred records: %w", err)
		}
	}
	if !r.hadDeferred {
		return nil
	}
	for entity, ids := range out.applied {
		err := a.tx.WithContext(ctx).Exec("DELETE FROM deferred_records WHERE source_id = ? AND entity_type = ? AND external_id IN ?", r.src.ID, entity, ids).Error
		if err != nil {
			return fmt.Errorf("drop placed deferred records: %w", err)
		}
	}
	return nil
}

// commit writes the gathered records, stores the checkpoints received
// since the last commit and the run's counts in the open transaction, and
// commits it, so data, checkpoints and counts agree. What a later
// change adds to every commit (a check that the run still holds its
// source, marks of what to rescore) belongs in commitBatch.
func (r *runner) commit(ctx context.Context) error {
	if err := r.write(ctx); err != nil {
		return err
	}
	if len(r.states) == 0 && r.tx == nil {
		return nil
	}
	if err := r.begin(ctx); err != nil {
		return err
	}
	tx := r.tx
	r.tx = nil
	states := r.states
	r.states = map[string]*connectorpb.StateCheckpoint{}
	r.sinceCommit = 0
	if err := r.commitBatch(tx, states); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit().Error; err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if err := r.analyze(ctx); err != nil {
		return err
	}
	if r.OnProgress != nil {
		for name := range states {
			s := r.streams[name]
			r.OnProgress(Progress{RunID: r.run.ID, Stream: name, Read: s.RecordsRead, Committed: true, Pid: r.pid})
		}
	}
	return nil
}

// commitBatch stores, in the transaction about to commit the records
// written since the last commit, the checkpoints that cover them and the
// run's counts.
func (r *runner) commitBatch(tx *gorm.DB, states map[string]*connectorpb.StateCheckpoint) error {
	now := time.Now().UTC()
	for _, st := range states {
		state := domain.StreamState{SourceID: r.src.ID, Stream: st.GetStream(), State: st.GetStateJson(), UpdatedAt: now}
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "source_id"}, {Name: "stream"}},
			DoUpdates: clause.AssignmentColumns([]string{"state", "updated_at"}),
		}).Create(&state).Error
		if err != nil {
			return fmt.Errorf("save checkpoint of %s: %w", st.GetStream(), err)
		}
	}
	return r.saveCounts(tx, false)
}

// firstAnalyze is the number of rows of an entity type a run stores before
// it first analyzes the type's tables.
const firstAnalyze = 1000

// analyze refreshes the planner's statistics of the identity tables this
// run has grown, and of external_refs, each time their rows stored
// doubles. A bulk load into empty tables otherwise leaves the planner
// costing the lookups of every later batch for a table of a few rows, and
// it picks scans that make the run quadratic; autovacuum may be slow to
// notice, or off.
func (r *runner) analyze(ctx context.Context) error {
	for entity, n := range r.stored {
		at := r.analyzeAt[entity]
		if at == 0 {
			at = firstAnalyze
		}
		if n < at {
			continue
		}
		r.analyzeAt[entity] = 2 * n
		tbl, ok := tables[entity]
		if !ok || !tbl.identity {
			// The run looks up identities, by their refs and keys, batch
			// after batch; the other tables it only writes, through
			// their unique keys, whatever their statistics, and
			// autovacuum analyzes them as they grow.
			continue
		}
		if err := r.DB.WithContext(ctx).Exec("ANALYZE " + tbl.name + ", external_refs").Error; err != nil {
			return fmt.Errorf("analyze %s: %w", tbl.name, err)
		}
	}
	return nil
}

func (r *runner) rollback() {
	r.gathered, r.gatheredColumns, r.sinceCommit = nil, nil, 0
	clear(r.states)
	if r.tx != nil {
		r.tx.Rollback()
		r.tx = nil
	}
}

// saveCounts stores the run's counts and those of its streams: all of
// them, or only those that changed since they were last saved.
func (r *runner) saveCounts(tx *gorm.DB, all bool) error {
	err := tx.Model(r.run).Select("records_read", "records_written", "records_deleted", "records_deferred", "records_rejected").Updates(r.run).Error
	if err != nil {
		return fmt.Errorf("save run counts: %w", err)
	}
	for name, s := range r.streams {
		if !all && !r.unsaved[name] {
			continue
		}
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "run_id"}, {Name: "stream"}},
			DoUpdates: clause.AssignmentColumns([]string{"records_read", "records_written", "records_deleted", "records_deferred", "records_rejected", "finished_at"}),
		}).Create(s).Error
		if err != nil {
			return fmt.Errorf("save stream counts: %w", err)
		}
	}
	clear(r.unsaved)
	return nil
}

// retryDeferred tries again every record of the source kept aside, in
// dependency order, in one transaction.
func (r *runner) retryDeferred(ctx context.Context) error {
	if !r.hadDeferred {
		return nil
	}
	var rows []struct {
		Stream string
		Record []byte
	}
	if err := r.DB.WithContext(ctx).Table("deferred_records").Select("stream, record").
		Where("source_id = ?", r.src.ID).Order("first_seen_at, external_id").Scan(&rows).Error; err != nil {
		return fmt.Errorf("load deferred records: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	return r.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := store.RenewLease(ctx, tx, r.run.ID, r.worker(), r.lease()); err != nil {
			return err
		}
		a := &applier{tx: tx, sourceID: r.src.ID, now: time.Now().UTC()}
		byStream := map[string][]*connectorpb.Record{}
		var order []string
		for _, row := range rows {
			rec := &connectorpb.Record{}
			if err := proto.Unmarshal(row.Record, rec); err != nil {
				return fmt.Errorf("decode deferred record: %w", err)
			}
			if _, ok := byStream[row.Stream]; !ok {
				order = append(order, row.Stream)
			}
			byStream[row.Stream] = append(byStream[row.Stream], rec)
		}
		r.run.RecordsDeferred = 0
		for _, s := range r.streams {
			s.RecordsDeferred = 0
		}
		kept := r.issues[:0]
		for _, i := range r.issues {
			if i.kind != domain.IssueDeferred {
				kept = append(kept, i)
			}
		}
		r.issues = kept
		for _, name := range order {
			out, err := a.apply(ctx, name, byStream[name], nil)
			if err != nil {
				return err
			}
			if err := r.settle(ctx, a, out); err != nil {
				return err
			}
			s := r.stream(name)
			s.RecordsWritten += out.written
			r.run.RecordsWritten += out.written
			s.RecordsDeferred += int64(len(out.deferred))
			r.run.RecordsDeferred += int64(len(out.deferred))
			s.RecordsRejected += int64(len(out.rejected))
			r.run.RecordsRejected += int64(len(out.rejected))
		}
		return r.saveCounts(tx, true)
	})
}

// afterRun hands the accounts the run touched to AfterRun. A failure to
// list them is logged: the run itself is stored and stands.
func (r *runner) afterRun(ctx context.Context) {
	if r.AfterRun == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	touched, err := r.TouchedAccounts(ctx, r.src.ID, r.run.StartedAt)
	if err != nil {
		r.log().Error("after run", "err", err)
		return
	}
	r.AfterRun(ctx, r.run, touched)
}

// finish stores the run's outcome, its streams and its issues.
func (r *runner) finish(runErr error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now().UTC()
	r.run.FinishedAt = &now
	r.run.Status = domain.RunSucceeded
	var paused *pausedError
	var interrupted *interruptedError
	switch {
	case runErr == nil && r.run.RecordsRejected > 0:
		r.run.Status = domain.RunPartial
	case errors.As(runErr, &interrupted):
		r.run.Status = domain.RunInterrupted
		r.run.Error = runErr.Error()
	case errors.As(runErr, &paused):
		r.run.Status = domain.RunPaused
		r.run.Error = runErr.Error()
		if !paused.until.IsZero() {
			until := paused.until.UTC()
			r.run.PausedUntil = &until
		}
	case runErr != nil:
		r.run.Status = domain.RunFailed
		r.run.Error = runErr.Error()
	}
	r.run.Error = r.redact.Redact(r.run.Error)
	for _, s := range r.streams {
		s.FinishedAt = &now
	}
	return r.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Only the run's holder stores its outcome: a run whose source was
		// taken was ended by the taker, and stays as it left it.
		res := tx.Model(r.run).Where("status = ? AND worker = ?", domain.RunRunning, r.worker()).
			Select("status", "error", "finished_at", "paused_until").Updates(r.run)
		if res.Error != nil {
			return fmt.Errorf("sync: finish run: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return tx.Take(r.run, "id = ?", r.run.ID).Error
		}
		if err := r.saveCounts(tx, true); err != nil {
			return fmt.Errorf("sync: finish run: %w", err)
		}
		if len(r.issues) == 0 {
			return nil
		}
		rows := make([]domain.SyncIssue, len(r.issues))
		for i, is := range r.issues {
			rows[i] = domain.SyncIssue{RunID: r.run.ID, Stream: is.stream, Kind: is.kind, ExternalID: is.externalID,
				Origin: r.redact.Redact(is.origin), Field: is.field, Message: r.redact.Redact(is.message), CreatedAt: now}
		}
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return fmt.Errorf("sync: save issues: %w", err)
		}
		return nil
	})
}
