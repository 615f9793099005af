package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	gosync "sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/protobuf/proto"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// CrashError reports a plugin process that died during a call.
type CrashError struct {
	Plugin string
	Err    error
	// Stderr is the tail of what the plugin printed, where a panic's
	// message and stack end up.
	Stderr string
}

func (e *CrashError) Error() string {
	msg := fmt.Sprintf("connector %s crashed: %v", e.Plugin, e.Err)
	if e.Stderr != "" {
		msg += "\n" + e.Stderr
	}
	return msg
}

func (e *CrashError) Unwrap() error { return e.Err }

// ErrIdle is returned when a read sends nothing for the idle timeout.
var ErrIdle = errors.New("host: connector stopped sending")

// Conn is a running plugin process and its client.
type Conn struct {
	plugin Plugin
	client *plugin.Client
	rpc    connectorpb.ConnectorClient
	// broker is where the host serves the plugin its rate limiter.
	broker *plugin.GRPCBroker
	stderr *tail
	opts   Options
}

// Launch verifies and starts the named connector.
func (h *Host) Launch(ctx context.Context, name string) (*Conn, error) {
	p, err := h.Find(name)
	if err != nil {
		return nil, err
	}
	return h.LaunchPlugin(ctx, p)
}

// LaunchPlugin verifies and starts p. A binary with no trusted checksum, or
// whose checksum differs, is refused without being run.
func (h *Host) LaunchPlugin(ctx context.Context, p Plugin) (*Conn, error) {
	if p.SHA256 == nil {
		return nil, fmt.Errorf("%w: %s is not listed in %s; install it with `pulse connector install %s`",
			ErrUntrusted, p.Path, SumsFile, p.Path)
	}
	stderr := &tail{max: 8 << 10}
	cmd := exec.Command(p.Path, p.Args...)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{}},
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: p.SHA256, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     h.opts.StartTimeout,
		Stderr:           stderr,
		// What the plugin writes to os.Stderr travels over go-plugin's
		// stdio stream; a panic's trace goes to the raw stderr above.
		SyncStderr: stderr,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "connector." + p.Name, Output: stderr, Level: hclog.Warn,
		}),
	})
	rpcClient, err := client.Client()
	if err != nil {
		client.Kill()
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return nil, fmt.Errorf("%w: %s does not match its checksum in %s (was the binary replaced after it was installed?)",
				ErrUntrusted, p.Path, SumsFile)
		}
		return nil, fmt.Errorf("host: start connector %s: %w%s", p.Name, err, stderr.suffix())
	}
	raw, err := rpcClient.Dispense(sdk.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("host: connector %s: %w", p.Name, err)
	}
	pc := raw.(*sdk.PluginClient)
	c := &Conn{plugin: p, client: client, rpc: pc.ConnectorClient, broker: pc.Broker, stderr: stderr, opts: h.opts}
	h.opts.Logger.DebugContext(ctx, "connector started", "connector", p.Name, "pid", c.Pid())
	if h.opts.OnLaunch != nil {
		h.opts.OnLaunch(p)
	}
	return c, nil
}

// Plugin is what this connection runs.
func (c *Conn) Plugin() Plugin { return c.plugin }

// Pid is the plugin's process id.
func (c *Conn) Pid() int {
	if rc := c.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Close stops the plugin process.
func (c *Conn) Close() { c.client.Kill() }

// Spec asks the connector to describe itself.
func (c *Conn) Spec(ctx context.Context) (*connectorpb.SpecResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, err := c.rpc.Spec(ctx, &connectorpb.SpecRequest{})
	if err != nil {
		return nil, c.wrap("spec", err)
	}
	if resp.GetProtocolVersion() != sdk.ProtocolVersion {
		return nil, fmt.Errorf("host: connector %s speaks protocol %d, this host speaks %d", c.plugin.Name, resp.GetProtocolVersion(), sdk.ProtocolVersion)
	}
	return resp, nil
}

// Check validates a configuration; the problems come back, not an error.
func (c *Conn) Check(ctx context.Context, config []byte) ([]*connectorpb.Diagnostic, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, err := c.rpc.Check(ctx, &connectorpb.CheckRequest{ConfigJson: config})
	if err != nil {
		return nil, c.wrap("check", err)
	}
	return resp.GetProblems(), nil
}

// Discover lists the streams of a configured connection.
func (c *Conn) Discover(ctx context.Context, config []byte) ([]*connectorpb.StreamSpec, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, err := c.rpc.Discover(ctx, &connectorpb.DiscoverRequest{ConfigJson: config})
	if err != nil {
		return nil, c.wrap("discover", err)
	}
	return resp.GetStreams(), nil
}

// Read streams the connector's messages to handle, in order. It returns
// handle's first error, ErrIdle when the plugin goes quiet, or a CrashError
// when the plugin dies. The plugin gets no rate limiter from the host and
// paces itself alone; see ReadLimited.
func (c *Conn) Read(ctx context.Context, req *connectorpb.ReadRequest, handle func(*connectorpb.ReadMessage) error) error {
	return c.ReadLimited(ctx, req, nil, handle)
}

// ReadLimited is Read with lim, the rate limit of the source being read
// (see Host.Limiter), served to the plugin for the length of the read: a
// plugin built with the SDK asks it before each call to its vendor and
// tells it the vendor's holds. A nil lim serves none, and a plugin from an
// SDK that predates it ignores it.
func (c *Conn) ReadLimited(ctx context.Context, req *connectorpb.ReadRequest, lim *Limiter, handle func(*connectorpb.ReadMessage) error) error {
	if lim != nil {
		id, stop, err := c.serveLimiter(lim)
		if err != nil {
			return err
		}
		defer stop()
		// The caller's request is left as it was given.
		req = proto.CloneOf(req)
		req.RateLimiter = id
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(c.opts.IdleTimeout, func() {
		cancel(fmt.Errorf("%w for %s", ErrIdle, c.opts.IdleTimeout))
	})
	defer watchdog.Stop()
	stream, err := c.rpc.Read(ctx, req)
	if err != nil {
		return c.wrap("read", err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && errors.Is(cause, ErrIdle) {
				c.client.Kill()
				return fmt.Errorf("host: connector %s: %w", c.plugin.Name, cause)
			}
			return c.wrap("read", err)
		}
		watchdog.Reset(c.opts.IdleTimeout)
		if err := handle(msg); err != nil {
			return err
		}
	}
}

// wrap turns a failed call into a CrashError when the process is gone.
func (c *Conn) wrap(call string, err error) error {
	if c.exited() {
		crash := &CrashError{Plugin: c.plugin.Name, Err: fmt.Errorf("%s: %w", call, err), Stderr: c.stderr.String()}
		if c.opts.OnCrash != nil {
			c.opts.OnCrash(crash)
		}
		return crash
	}
	return fmt.Errorf("host: connector %s: %s: %w", c.plugin.Name, call, err)
}

// exited waits briefly for the process to be reaped: a crash closes the
// connection a moment before go-plugin notices the exit.
func (c *Conn) exited() bool {
	for i := 0; i < 20; i++ {
		if c.client.Exited() {
			return true
		}
		time.Sleep(25 * time.Millisecond)
	}
	return false
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  gosync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(bytes.ToValidUTF8(t.buf, nil)))
}

func (t *tail) suffix() string {
	if s := t.String(); s != "" {
		return "\n" + s
	}
	return ""
}
