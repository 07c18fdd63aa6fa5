package scimkit

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store"
)

func refusalEvents(t *testing.T, e *testEnv) []map[string]any {
	t.Helper()
	evs, err := e.st.ListEvents(context.Background(), store.EventQuery{Types: []string{EventRequestRefused}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, ev := range evs {
		var m map[string]any
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			t.Fatal(err)
		}
		if ev.OrgID != e.org.ID || ev.Subject != e.dir.ID {
			t.Errorf("event of %s/%s", ev.OrgID, ev.Subject)
		}
		out = append(out, m)
	}
	return out
}

// TestRefusedRequestsRecorded: refused requests to a directory become
// directory.request_refused events, one per reason and interval with the
// count of the others; junk to directories that do not exist records
// nothing and stays bounded; no token ever reaches an event.
func TestRefusedRequestsRecorded(t *testing.T) {
	t.Parallel()
	// The per-address limit on failed authentications would answer 429
	// past its burst: this test is about what is recorded.
	e := newTestEnv(t, func(c *Config) { c.Limits.Unauthenticated = limits.Rate{Unlimited: true} })
	wrong := TokenPrefix + strings.Repeat("A", 43)
	for range 50 {
		e.scimErr(e.do(http.MethodGet, "/Users", wrong, nil), http.StatusUnauthorized, "")
	}
	got := refusalEvents(t, e)
	if len(got) != 1 || got[0]["reason"] != RefusalUnknownToken || got[0]["count"] != float64(1) || got[0]["path"] != "/"+e.dir.ID+"/Users" {
		t.Fatalf("after 50 refusals: %v", got)
	}
	e.clock.Add(RefusalRecordInterval)
	e.scimErr(e.do(http.MethodGet, "/Users", wrong, nil), http.StatusUnauthorized, "")
	got = refusalEvents(t, e)
	if len(got) != 2 || got[1]["count"] != float64(50) {
		t.Fatalf("the next interval's event: %v", got)
	}
	// Other reasons have events of their own.
	e.scimErr(e.do(http.MethodGet, "/Users", "", nil), http.StatusUnauthorized, "")
	e.scimErr(e.do(http.MethodGet, "/Users?access_token="+e.token, "", nil), http.StatusUnauthorized, "")
	ctx := context.Background()
	toks, _ := e.st.ListDirectoryTokens(ctx, e.dir.ID)
	if err := e.srv.RevokeToken(ctx, e.dir.ID, toks[0].ID); err != nil {
		t.Fatal(err)
	}
	e.scimErr(e.do(http.MethodGet, "/Users", e.token, nil), http.StatusUnauthorized, "")
	got = refusalEvents(t, e)
	var reasons []string
	for _, m := range got[2:] {
		reasons = append(reasons, m["reason"].(string))
	}
	if strings.Join(reasons, " ") != RefusalNoToken+" "+RefusalTokenInQuery+" "+RefusalRevokedToken {
		t.Errorf("reasons %v", reasons)
	}
	evs, _ := e.st.ListEvents(ctx, store.EventQuery{Types: []string{EventRequestRefused}, Limit: 1000})
	for _, ev := range evs {
		if strings.Contains(string(ev.Data), TokenPrefix) {
			t.Errorf("a token in an event: %s", ev.Data)
		}
	}

	// Junk to directories that do not exist: nothing recorded, the
	// tracking bounded.
	before := len(evs)
	for i := range maxRefusalKeys + 200 {
		e.doDir("dir_junk_"+itoa(i), http.MethodGet, "/Users", wrong, nil)
	}
	if n := len(refusalEvents(t, e)); n != before {
		t.Errorf("junk recorded %d events", n-before)
	}
	// Junk keeps no slot: a flood of made-up directory ids cannot take the
	// slots real directories' refusals need.
	if n := e.srv.refusals.size(); n > 10 {
		t.Errorf("%d refusal keys tracked after junk, want only the real directory's few reasons", n)
	}
}
