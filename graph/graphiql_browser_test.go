package graph_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
)

// TestGraphiQLInABrowser opens GraphiQL in headless Chromium with a key in
// the tab's session storage: the page loads with no console error and no
// request leaving the server, and the schema's introspection is sent
// with the key and answered 200. CI installs Chromium (.ci/run); a
// machine without it skips.
func TestGraphiQLInABrowser(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no Chromium on this machine")
	}
	k := newKeyed(t)
	key := k.keys[domain.Viewer]

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Flag("headless", true))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	watching := false // from the page's own load on
	sentWithKey := map[network.RequestID]bool{}
	introspected := make(chan int64, 8)
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		if !watching {
			return
		}
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console error: "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			if d.Exception != nil {
				problems = append(problems, "exception: "+d.Text+" "+d.Exception.Description)
			} else {
				problems = append(problems, "exception: "+d.Text)
			}
		case *network.EventRequestWillBeSent:
			u := ev.Request.URL
			if !strings.HasPrefix(u, k.url+"/") && !strings.HasPrefix(u, "data:") {
				problems = append(problems, "request to another host: "+u)
			}
			var body strings.Builder
			for _, e := range ev.Request.PostDataEntries {
				body.Write(e.Bytes)
			}
			if strings.HasSuffix(u, "/query") && strings.Contains(body.String(), "IntrospectionQuery") {
				auth, _ := ev.Request.Headers["Authorization"].(string)
				sentWithKey[ev.RequestID] = auth == "Bearer "+key
			}
		case *network.EventLoadingFailed:
			problems = append(problems, "request failed: "+ev.ErrorText)
		case *network.EventResponseReceived:
			if withKey, ok := sentWithKey[ev.RequestID]; ok && withKey {
				select {
				case introspected <- ev.Response.Status:
				default:
				}
			} else if ok {
				problems = append(problems, "introspection sent without the key")
			}
			// The plain-text page visited to store the key has no icon
			// of its own, so the browser may ask for /favicon.ico late.
			if ev.Response.Status >= 400 && !strings.HasSuffix(ev.Response.URL, "/favicon.ico") {
				problems = append(problems, ev.Response.URL+": "+ev.Response.StatusText)
			}
		}
	}))

	keyJSON, _ := json.Marshal(key)
	// A first visit stores the key as the key field does; the page is
	// then loaded afresh, and must load clean.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(k.url+"/graphiql/assets/LICENSE.graphiql")))
	_, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.setItem('pulse.apiKey', `+string(keyJSON)+`), 'stored'`))
	require.NoError(t, err)
	mu.Lock()
	watching = true
	mu.Unlock()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(k.url+"/"), chromedp.WaitVisible(".graphiql-container")))
	select {
	case status := <-introspected:
		require.EqualValues(t, 200, status, "introspection with the key")
	case <-ctx.Done():
		t.Fatal("GraphiQL sent no introspection with the key")
	}
	state, err := chromedp.Run(ctx, chromedp.Text("#key-state"))
	require.NoError(t, err)
	require.Equal(t, "key set for this tab", state)
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.NotContains(t, location, key, "the key is never in the URL")
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, problems)
}
