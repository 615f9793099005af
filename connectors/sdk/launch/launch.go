package launch

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/protobuf/proto"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// BinaryPrefix starts the file name of every connector plugin.
const BinaryPrefix = "pulse-connector-"

// ErrChecksum is returned for a binary whose SHA-256 is not the one it was
// launched with: it was replaced after its checksum was taken.
var ErrChecksum = errors.New("launch: plugin binary does not match its checksum")

// ErrIdle is returned when a read sends nothing for the idle timeout.
var ErrIdle = errors.New("launch: connector stopped sending")

// Plugin is a connector binary to launch.
type Plugin struct {
	Name string
	Path string
	Args []string
	// SHA256 is the checksum the binary must have to be launched.
	SHA256 []byte
	// Builtin marks a connector the running binary serves itself.
	Builtin bool
}

// FromPath describes a plugin binary given by path, for running a connector
// that is not installed: its checksum is taken now, so the binary launched
// is the one the caller named. Its name is the file's, less BinaryPrefix.
func FromPath(path string) (Plugin, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Plugin{}, fmt.Errorf("launch: %s: %w", path, err)
	}
	sum, err := FileSHA256(abs)
	if err != nil {
		return Plugin{}, err
	}
	name := strings.TrimPrefix(filepath.Base(abs), BinaryPrefix)
	return Plugin{Name: name, Path: abs, SHA256: sum}, nil
}

// FileSHA256 returns the SHA-256 of the file at path.
func FileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("launch: checksum: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("launch: checksum %s: %w", path, err)
	}
	return h.Sum(nil), nil
}

// Options configures the processes Start launches; the zero value is usable.
type Options struct {
	// CallTimeout bounds Spec, Check and Discover; default 30s.
	CallTimeout time.Duration
	// IdleTimeout ends a Read that sends nothing for this long; default 5m.
	IdleTimeout time.Duration
	// StartTimeout bounds the plugin handshake; default 20s.
	StartTimeout time.Duration
	// Logger is told of each plugin started; nil logs nothing.
	Logger *slog.Logger
	// OnCrash, when set, is told of each plugin that died during a call.
	OnCrash func(*CrashError)
}

// withDefaults fills in the zero fields of o.
func (o Options) withDefaults() Options {
	if o.CallTimeout == 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 5 * time.Minute
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 20 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

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

// Conn is a running plugin process and its client.
type Conn struct {
	plugin Plugin
	client *plugin.Client
	rpc    connectorpb.ConnectorClient
	// broker is where the rate limiter is served to the plugin.
	broker *plugin.GRPCBroker
	stderr *tail
	opts   Options
}

// Start verifies and starts p: go-plugin refuses a binary whose SHA-256 is
// not p.SHA256 before running it (ErrChecksum).
func Start(ctx context.Context, p Plugin, opts Options) (*Conn, error) {
	opts = opts.withDefaults()
	stderr := &tail{max: 8 << 10}
	cmd := exec.Command(p.Path, p.Args...)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{}},
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: p.SHA256, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     opts.StartTimeout,
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
			return nil, fmt.Errorf("%w: %s", ErrChecksum, p.Path)
		}
		return nil, fmt.Errorf("launch: start connector %s: %w%s", p.Name, err, stderr.suffix())
	}
	raw, err := rpcClient.Dispense(sdk.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("launch: connector %s: %w", p.Name, err)
	}
	pc := raw.(*sdk.PluginClient)
	c := &Conn{plugin: p, client: client, rpc: pc.ConnectorClient, broker: pc.Broker, stderr: stderr, opts: opts}
	opts.Logger.DebugContext(ctx, "connector started", "connector", p.Name, "pid", c.Pid())
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
		return nil, fmt.Errorf("launch: connector %s speaks protocol %d, this host speaks %d", c.plugin.Name, resp.GetProtocolVersion(), sdk.ProtocolVersion)
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
// when the plugin dies. The plugin gets no rate limiter and paces itself
// alone; see ReadLimited.
func (c *Conn) Read(ctx context.Context, req *connectorpb.ReadRequest, handle func(*connectorpb.ReadMessage) error) error {
	return c.ReadLimited(ctx, req, nil, handle)
}

// ReadLimited is Read with lim, the rate limit of the source being read,
// served to the plugin for the length of the read: a plugin built with the
// SDK asks it before each call to its vendor and tells it the vendor's
// holds. A nil lim serves none, and a plugin from an SDK that predates it
// ignores it.
func (c *Conn) ReadLimited(ctx context.Context, req *connectorpb.ReadRequest, lim sdk.Limiter, handle func(*connectorpb.ReadMessage) error) error {
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
				return fmt.Errorf("launch: connector %s: %w", c.plugin.Name, cause)
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
	return fmt.Errorf("launch: connector %s: %s: %w", c.plugin.Name, call, err)
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
