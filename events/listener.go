package events

import (
	"context"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenerOptions tune a Listener; the zero value is ready to use.
type ListenerOptions struct {
	// Topics to listen on; empty means Topics.
	Topics []Topic
	// Buffer is how many notifications a subscriber may lag behind before
	// it is dropped; default 64.
	Buffer int
	// MinBackoff and MaxBackoff bound the wait between reconnections,
	// which doubles from MinBackoff after each failure; defaults 100ms
	// and 10s.
	MinBackoff, MaxBackoff time.Duration
	// Logger hears of lost connections and dropped subscribers; nil
	// discards.
	Logger *slog.Logger
}

// ApplicationName is the application_name of a Listener's connection, as
// pg_stat_activity shows it.
const ApplicationName = "pulse-events"

// Listener holds one dedicated connection that LISTENs on its topics, and
// fans every notification out to the subscribers of its topic in this
// process. It reconnects, with backoff, when the connection is lost.
type Listener struct {
	url   string
	opts  ListenerOptions
	ready chan struct{}

	mu     gosync.Mutex
	subs   map[Topic]map[*Subscription]struct{}
	closed bool
}

// Subscription receives a topic's notifications on C, in the order
// published. C is closed when the subscriber fell Buffer notifications
// behind (it is dropped rather than hold the others up), when Close is
// called, and when the Listener stops.
type Subscription struct {
	C     <-chan Notification
	ch    chan Notification
	topic Topic
	l     *Listener
	done  bool
}

// NewListener returns a Listener on the database at url; Run starts it.
func NewListener(url string, opts ListenerOptions) *Listener {
	if len(opts.Topics) == 0 {
		opts.Topics = Topics
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 64
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(10*time.Second, opts.MinBackoff)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	subs := map[Topic]map[*Subscription]struct{}{}
	for _, t := range opts.Topics {
		subs[t] = map[*Subscription]struct{}{}
	}
	return &Listener{url: url, opts: opts, ready: make(chan struct{}), subs: subs}
}

// Ready is closed once the Listener first listens on every topic.
func (l *Listener) Ready() <-chan struct{} { return l.ready }

// Subscribe starts receiving topic's notifications. The topic must be one
// the Listener listens on.
func (l *Listener) Subscribe(topic Topic) (*Subscription, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	subs, ok := l.subs[topic]
	if !ok {
		return nil, fmt.Errorf("events: subscribe: not listening on %q", topic)
	}
	ch := make(chan Notification, l.opts.Buffer)
	s := &Subscription{C: ch, ch: ch, topic: topic, l: l}
	if l.closed {
		s.done = true
		close(ch)
		return s, nil
	}
	subs[s] = struct{}{}
	return s, nil
}

// Close stops the subscription and closes C; calling it again does
// nothing.
func (s *Subscription) Close() {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	s.l.drop(s)
}

// drop removes s and closes its channel; l.mu is held.
func (l *Listener) drop(s *Subscription) {
	if s.done {
		return
	}
	s.done = true
	delete(l.subs[s.topic], s)
	close(s.ch)
}

// Run listens until ctx ends, reconnecting when the connection is lost,
// then closes every subscription. It returns ctx's error.
func (l *Listener) Run(ctx context.Context) error {
	defer l.shutdown()
	wait := l.opts.MinBackoff
	for {
		listened, err := l.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if listened {
			wait = l.opts.MinBackoff
		}
		l.opts.Logger.Warn("events: listener connection lost; reconnecting", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, l.opts.MaxBackoff)
	}
}

// session connects, listens and dispatches until the connection fails.
// listened reports whether it got as far as listening.
func (l *Listener) session(ctx context.Context) (listened bool, err error) {
	cfg, err := pgx.ParseConfig(l.url)
	if err != nil {
		return false, fmt.Errorf("events: listener: %w", err)
	}
	cfg.RuntimeParams["application_name"] = ApplicationName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("events: listener: connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	for _, t := range l.opts.Topics {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{string(t)}.Sanitize()); err != nil {
			return false, fmt.Errorf("events: listener: listen %s: %w", t, err)
		}
	}
	select {
	case <-l.ready:
	default:
		close(l.ready)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("events: listener: %w", err)
		}
		l.dispatch(Notification{Topic: Topic(n.Channel), Payload: []byte(n.Payload)})
	}
}

// dispatch hands n to each subscriber of its topic that has room, and
// drops those that have none.
func (l *Listener) dispatch(n Notification) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs[n.Topic] {
		select {
		case s.ch <- n:
		default:
			l.opts.Logger.Warn("events: dropping a subscriber that fell behind", "topic", n.Topic, "buffer", l.opts.Buffer)
			l.drop(s)
		}
	}
}

// shutdown closes every subscription; later ones are closed at once.
func (l *Listener) shutdown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, subs := range l.subs {
		for s := range subs {
			l.drop(s)
		}
	}
}
