package ssokit

import (
	"net/http"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// TestSAMLReplayRecorded: a replayed response whose signature verifies is
// refused and recorded as an sso.login.failed event, SP-initiated (its
// request is spent) as IdP-initiated (its assertion id is in the replay
// cache).
func TestSAMLReplayRecorded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		want Reason
		// post returns a function that posts one response, the same
		// each time.
		post func(t *testing.T, e *env) func() int
	}{
		{"SP-initiated", ReasonRequestUnknown, func(t *testing.T, e *env) func() int {
			b := e.browser()
			id := b.startSAML(t, "connection="+connSAML)
			raw := respSpec{InResponseTo: id}.build(t)
			return func() int { return b.postSAML(connSAML, raw, id).Code }
		}},
		{"IdP-initiated", ReasonReplayed, func(t *testing.T, e *env) func() int {
			e.updateConn(connSAML, func(c *store.Connection) { c.SAML.AllowIdPInitiated = true })
			raw := respSpec{}.build(t)
			return func() int { return e.browser().postSAML(connSAML, raw, "").Code }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			post := tc.post(t, e)
			if code := post(); code != http.StatusSeeOther {
				t.Fatalf("first post: %d\n%s", code, e.logs)
			}
			if code := post(); code < 400 || len(e.logins()) != 1 {
				t.Fatalf("replay accepted: %d", code)
			}
			evs := e.events(EventLoginFailed)
			if len(evs) != 1 || !strings.Contains(string(evs[0].Data), string(tc.want)) {
				t.Fatalf("failure events after a replay = %+v, want one %s", evs, tc.want)
			}
		})
	}
}
