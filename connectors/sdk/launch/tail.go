package launch

import (
	"bytes"
	"strings"
	gosync "sync"
)

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
