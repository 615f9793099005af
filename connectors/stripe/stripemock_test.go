package stripe_test

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
)

// TestAgainstStripeMock reads through stripe-mock, Stripe's own mock
// server (go install github.com/stripe/stripe-mock@v0.203.0), which checks
// every request's path and parameters (expand[], types[], status=all,
// limit, starting_after) against Stripe's OpenAPI spec. Its answers are
// static fixtures, one object a list, so the test proves the requests
// valid and the real response shapes readable, not the mapping.
func TestAgainstStripeMock(t *testing.T) {
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		t.Skip("stripe-mock is not on PATH; install it with: go install github.com/stripe/stripe-mock@v0.203.0")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	cmd := exec.Command(bin, "-http-port", fmt.Sprint(port))
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/v1/balance")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "stripe-mock did not start")

	cfg := []byte(fmt.Sprintf(`{"secret_key": "sk_test_123", "base_url": %q}`, base))
	g := sdktest.Sum(read(t, cfg, nil, nil))
	require.Nil(t, g.Failure, "%v", g.Failure)
	// stripe-mock's customer has neither name nor email: a record error,
	// which is the connector's answer to such a customer.
	require.Equal(t, "name: the customer has no name, description or email", g.Errors["cus_QXg1o8vcGmoR32"])
	require.NotEmpty(t, g.Checkpoints["customers"])
	require.NotEmpty(t, g.Checkpoints["subscription_items"])
	t.Logf("stripe-mock read: %d customers, %d subscription items, %d record errors, %d tombstones",
		len(g.Records["customers"]), len(g.Records["subscription_items"]), len(g.Errors), len(g.Tombstones["customers"]))
	for id, e := range g.Errors {
		t.Logf("record error %s: %s", id, e)
	}
}
