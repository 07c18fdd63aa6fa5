package ssokit

import (
	"net/http"
	"net/url"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
)

// withTelemetry rebuilds e's handler with the SDK's in-memory recorders as
// its TracerProvider and MeterProvider. Make browsers after it.
func withTelemetry(t *testing.T, e *env) *telemetrytest.Recorder {
	t.Helper()
	rec := telemetrytest.New(t)
	cfg := e.sso.cfg
	cfg.TracerProvider, cfg.MeterProvider = rec.TracerProvider, rec.MeterProvider
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.sso = s
	return rec
}

func loginAttrs(protocol, result, reason string) []attribute.KeyValue {
	kv := []attribute.KeyValue{telemetry.Protocol.String(protocol), telemetry.LoginResult.String(result)}
	if reason != "" {
		kv = append(kv, telemetry.LoginReason.String(reason))
	}
	return kv
}

// checkLoginSpans checks the spans of a whole login: start with its IdP
// redirect, then the endpoint span name with its verify and commit
// children, all naming the connection and organization.
func checkLoginSpans(t *testing.T, rec *telemetrytest.Recorder, endpoint, conn, protocol string) {
	t.Helper()
	start := rec.Span(t, telemetry.SpanSSOStart)
	redirect := rec.Span(t, telemetry.SpanSSOIdPRedirect)
	if !telemetrytest.ChildOf(redirect, start) {
		t.Errorf("%s is not a child of %s", telemetry.SpanSSOIdPRedirect, telemetry.SpanSSOStart)
	}
	top := rec.Span(t, endpoint)
	for _, name := range []string{telemetry.SpanSSOVerify, telemetry.SpanSSOCommit} {
		if c := rec.Span(t, name); !telemetrytest.ChildOf(c, top) {
			t.Errorf("%s is not a child of %s", name, endpoint)
		} else if c.Status().Code != codes.Unset {
			t.Errorf("%s status = %v", name, c.Status())
		}
	}
	for _, sp := range rec.Spans() {
		if sp.Name() != start.Name() && sp.Name() != top.Name() {
			continue
		}
		if telemetrytest.Attr(sp, telemetry.ConnectionID) != conn || telemetrytest.Attr(sp, telemetry.OrgID) != testOrg ||
			telemetrytest.Attr(sp, telemetry.Protocol) != protocol {
			t.Errorf("%s attributes = %v", sp.Name(), sp.Attributes())
		}
	}
	if top.Status().Code != codes.Unset || telemetrytest.Attr(top, telemetry.LoginResult) != telemetry.ResultSucceeded {
		t.Errorf("%s: status %v, attributes %v", endpoint, top.Status(), top.Attributes())
	}
	if top.Parent().IsValid() {
		t.Errorf("%s has a parent in a request that carried none", endpoint)
	}
}

func TestTelemetrySAMLLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	rec := withTelemetry(t, e)
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	if w := b.postSAML(connSAML, respSpec{InResponseTo: id}.build(t), id); w.Code != http.StatusSeeOther {
		t.Fatalf("ACS: %d\n%s", w.Code, e.logs)
	}
	checkLoginSpans(t, rec, telemetry.SpanSSOACS, connSAML, "saml")
	if n := rec.Sum(t, telemetry.MetricLogins, loginAttrs("saml", telemetry.ResultSucceeded, "")...); n != 1 {
		t.Errorf("logins succeeded = %d", n)
	}
	if n := rec.Sum(t, telemetry.MetricLogins); n != 1 {
		t.Errorf("logins = %d", n)
	}
	if n, _ := rec.Observations(t, telemetry.MetricLoginDuration, telemetry.Protocol.String("saml")); n != 1 {
		t.Errorf("login durations = %d", n)
	}
	rec.NoLeak(t, "jane@example.com", "jane", b.cookies[bindingCookie].Value, "host_session")
}

func TestTelemetrySAMLRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	rec := withTelemetry(t, e)
	b := e.browser()
	id := b.startSAML(t, "connection="+connSAML)
	raw := respSpec{InResponseTo: id, Audience: "https://evil.example/metadata"}.build(t)
	if w := b.postSAML(connSAML, raw, id); w.Code != http.StatusForbidden && w.Code != http.StatusBadRequest && w.Code != http.StatusUnauthorized {
		t.Fatalf("ACS: %d\n%s", w.Code, e.logs)
	}
	acs := rec.Span(t, telemetry.SpanSSOACS)
	verify := rec.Span(t, telemetry.SpanSSOVerify)
	reason := string(ReasonAudience)
	if !telemetrytest.ChildOf(verify, acs) {
		t.Error("verify is not a child of the ACS span")
	}
	if acs.Status().Code != codes.Error || telemetrytest.Attr(acs, telemetry.ErrorType) != reason ||
		telemetrytest.Attr(acs, telemetry.LoginResult) != telemetry.ResultRefused || telemetrytest.Attr(acs, telemetry.LoginReason) != reason {
		t.Errorf("ACS span: status %v, attributes %v", acs.Status(), acs.Attributes())
	}
	if verify.Status().Code != codes.Error || telemetrytest.Attr(verify, telemetry.ErrorType) != reason {
		t.Errorf("verify span: status %v, attributes %v", verify.Status(), verify.Attributes())
	}
	if got := rec.Named(telemetry.SpanSSOCommit); len(got) != 0 {
		t.Errorf("a refused response was committed: %d commit spans", len(got))
	}
	if n := rec.Sum(t, telemetry.MetricLogins, loginAttrs("saml", telemetry.ResultRefused, reason)...); n != 1 {
		t.Errorf("logins refused for %s = %d", reason, n)
	}
	if n := rec.Sum(t, telemetry.MetricLogins, telemetry.LoginResult.String(telemetry.ResultSucceeded)); n != 0 {
		t.Errorf("logins succeeded = %d", n)
	}
	rec.NoLeak(t, "jane@example.com", "jane", "evil.example")
}

func TestTelemetryOIDCLogin(t *testing.T) {
	t.Parallel()
	e, p := newOIDCEnv(t, "", nil)
	rec := withTelemetry(t, e)
	b := e.browser()
	if w := oidcLogin(t, e, b, p, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("callback: %d\n%s", w.Code, e.logs)
	}
	checkLoginSpans(t, rec, telemetry.SpanSSOCallback, connOIDC, "oidc")
	if n := rec.Sum(t, telemetry.MetricLogins, loginAttrs("oidc", telemetry.ResultSucceeded, "")...); n != 1 {
		t.Errorf("oidc logins succeeded = %d", n)
	}
	// A second use of the same state is refused and counted as such.
	w := oidcLogin(t, e, b, p, func(q url.Values) { q.Set("state", "st_unknown") })
	if w.Code < 400 {
		t.Fatalf("unknown state: %d", w.Code)
	}
	if n := rec.Sum(t, telemetry.MetricLogins, loginAttrs("oidc", telemetry.ResultRefused, string(ReasonRequestUnknown))...); n != 1 {
		t.Errorf("oidc logins refused = %d", n)
	}
	rec.NoLeak(t, "jane@example.com", "jane", p.secret, b.cookies[bindingCookie].Value)
}

func TestTelemetryStartRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	rec := withTelemetry(t, e)
	if w := e.browser().get("/start?email=someone@unknown-domain.example"); w.Code < 400 {
		t.Fatalf("start: %d", w.Code)
	}
	sp := rec.Span(t, telemetry.SpanSSOStart)
	if sp.Status().Code != codes.Error || telemetrytest.Attr(sp, telemetry.ErrorType) != "no_sso" {
		t.Errorf("start span: status %v, attributes %v", sp.Status(), sp.Attributes())
	}
	rec.NoLeak(t, "someone", "unknown-domain.example")
}
