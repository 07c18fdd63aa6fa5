package ssokit

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/store"
)

// traceLogin serves a login endpoint (the ACS, the OIDC callback) with h
// under span name, and counts the login by the result h returns: nil for
// a login, a *LoginError or another error for a refusal.
func (s *SSO) traceLogin(w http.ResponseWriter, r *http.Request, name string, protocol store.Protocol, h func(http.ResponseWriter, *http.Request) error) {
	start := time.Now()
	r, sp := telemetry.StartRequest(s.tel.Tracer, r, name, telemetry.Protocol.String(string(protocol)))
	result, reason := loginOutcome(h(w, r))
	if sp.IsRecording() {
		sp.SetAttributes(telemetry.LoginResult.String(result))
		if reason != "" {
			sp.SetAttributes(telemetry.LoginReason.String(reason))
			telemetry.Fail(sp, reason)
		}
	}
	sp.End()
	s.tel.Record(r.Context(), start, string(protocol), result, reason)
}

// loginOutcome is the result and reason of a login that ended with err.
func loginOutcome(err error) (result, reason string) {
	if err == nil {
		return telemetry.ResultSucceeded, ""
	}
	if reason := refusalReason(err); reason != "" {
		return telemetry.ResultRefused, reason
	}
	return telemetry.ResultError, "internal"
}

// refusalReason names a refusal: the Reason of a *LoginError, a class of
// the sentinel errors, "" for anything else (a failure of this side).
func refusalReason(err error) string {
	var le *LoginError
	switch {
	case errors.As(err, &le):
		return string(le.Reason)
	case errors.Is(err, ErrTooManyRequests):
		return "rate_limited"
	case errors.Is(err, ErrConnectionNotFound):
		return "connection_not_found"
	case errors.Is(err, ErrConnectionNotActive):
		return string(ReasonConnectionInactive)
	case errors.Is(err, ErrBadRequest):
		return "bad_request"
	case errors.Is(err, ErrNoSSO):
		return "no_sso"
	case errors.Is(err, ErrInvalidEmail):
		return string(ReasonInvalidEmail)
	}
	return ""
}

// traceConnection names conn and its organization on the span of ctx.
func traceConnection(ctx context.Context, conn *store.Connection) {
	if sp := trace.SpanFromContext(ctx); sp.IsRecording() {
		sp.SetAttributes(telemetry.ConnectionID.String(conn.ID), telemetry.OrgID.String(conn.OrgID),
			telemetry.Protocol.String(string(conn.Protocol)))
	}
}

// endVerify ends a verify or commit span, failed with the refusal's
// reason or the error's class.
func endVerify(sp trace.Span, refused *LoginError, err error) {
	switch {
	case refused != nil:
		telemetry.Fail(sp, string(refused.Reason))
	case errors.Is(err, store.ErrConflict):
		telemetry.Fail(sp, "conflict") // the connection changed: tried again
	case err != nil:
		_, reason := loginOutcome(err)
		telemetry.Fail(sp, reason)
	}
	sp.End()
}
