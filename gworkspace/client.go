package gworkspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// retryTransport retries requests answered 429, 500, 502, 503 or 504,
// waiting as Retry-After says, else backing off exponentially with jitter.
// It counts the requests it sends.
type retryTransport struct {
	base    http.RoundTripper
	s       *Syncer
	calls   *atomic.Int64
	retries *atomic.Int64
}

func retryable(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	backoff := time.Second
	for attempt := 0; ; attempt++ {
		r := req
		if body != nil {
			r = req.Clone(req.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		t.calls.Add(1)
		resp, err := t.base.RoundTrip(r)
		if err != nil || !retryable(resp.StatusCode) || attempt >= t.s.cfg.MaxRetries {
			return resp, err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
				wait = time.Duration(secs) * time.Second
			} else if at, err := http.ParseTime(ra); err == nil {
				wait = at.Sub(t.s.now())
			}
		}
		wait = min(max(wait, 0), t.s.cfg.MaxRetryWait)
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		t.retries.Add(1)
		if err := t.s.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		backoff = min(backoff*2, t.s.cfg.MaxRetryWait)
	}
}

// client is one authenticated Directory API client.
type client struct {
	svc     *admin.Service
	calls   atomic.Int64
	retries atomic.Int64
}

// newClient returns a Directory API client that acts as adminEmail with
// key, asking for scopes.
func (s *Syncer) newClient(ctx context.Context, key *ServiceAccountKey, adminEmail string, scopes []string) (*client, error) {
	c := &client{}
	base := s.cfg.HTTPClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc := &http.Client{
		Transport: &retryTransport{base: base, s: s, calls: &c.calls, retries: &c.retries},
		Timeout:   s.cfg.HTTPClient.Timeout,
	}
	authed := &http.Client{
		Transport: &oauth2.Transport{Source: s.tokenSource(ctx, key, adminEmail, scopes, hc), Base: hc.Transport},
		Timeout:   hc.Timeout,
	}
	svc, err := admin.NewService(ctx, option.WithHTTPClient(authed), option.WithEndpoint(s.cfg.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("gworkspace: %w", err)
	}
	c.svc = svc
	return c, nil
}

// tokenSource returns the source of access tokens of the JWT-bearer grant
// for key acting as adminEmail. hc is the client of the token requests
// (nil: one that does not retry).
func (s *Syncer) tokenSource(ctx context.Context, key *ServiceAccountKey, adminEmail string, scopes []string, hc *http.Client) oauth2.TokenSource {
	if hc == nil {
		hc = s.cfg.HTTPClient
	}
	jc := &jwt.Config{
		Email: key.ClientEmail, PrivateKey: pemOf(key), PrivateKeyID: key.PrivateKeyID,
		Subject: adminEmail, Scopes: scopes, TokenURL: s.cfg.TokenURL,
	}
	return jc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hc))
}

// Cause names why Google refused a call, for the IT admin.
type Cause string

// Causes reported by Test and in a sync's error.
const (
	// CauseDelegationMissing: the token endpoint answered
	// unauthorized_client for every scope: the client id has no
	// domain-wide delegation.
	CauseDelegationMissing Cause = "delegation_missing"
	// CauseScopeMissing: delegation is granted but not for every scope.
	CauseScopeMissing Cause = "scope_missing"
	// CauseInvalidGrant: the token endpoint answered invalid_grant: the
	// key was deleted or disabled, the admin email is not a user of the
	// domain, or the clocks disagree.
	CauseInvalidGrant Cause = "invalid_grant"
	// CauseNotAdmin: the impersonated user is not an administrator with
	// the rights to read users and groups (403 notAuthorized).
	CauseNotAdmin Cause = "admin_not_admin"
	// CauseAPIDisabled: the Admin SDK API is not enabled in the service
	// account's project (403 accessNotConfigured).
	CauseAPIDisabled Cause = "api_disabled"
	// CauseBadCustomer: the customer id or domain is unknown.
	CauseBadCustomer Cause = "bad_customer"
	// CauseRateLimited: Google kept answering 429 or 5xx after retries.
	CauseRateLimited Cause = "rate_limited"
	// CauseUnreachable: Google could not be reached.
	CauseUnreachable Cause = "unreachable"
	// CauseOther: any other refusal.
	CauseOther Cause = "other"
)

// An APIError is a refusal from Google's token endpoint or Directory API,
// with its diagnosis.
type APIError struct {
	Cause Cause
	// Status is the HTTP status, 0 when none was received.
	Status int
	// Code is the OAuth error code or the API error reason.
	Code string
	// Detail is Google's message, or for CauseScopeMissing the scopes
	// that are not delegated, space-separated.
	Detail string
	Err    error
}

func (e *APIError) Error() string {
	msg := "gworkspace: " + string(e.Cause)
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			msg += " " + e.Code
		}
		msg += ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *APIError) Unwrap() error { return e.Err }

// Message is the explanation shown to the IT admin.
func (e *APIError) Message() string {
	switch e.Cause {
	case CauseDelegationMissing:
		return "Google refused the service account: domain-wide delegation is not granted to its client id (unauthorized_client)."
	case CauseScopeMissing:
		return "Domain-wide delegation is granted, but not for these scopes: " + e.Detail + "."
	case CauseInvalidGrant:
		return "Google refused the key or the admin to impersonate (invalid_grant): check that the key is current and the admin email is a user of the domain."
	case CauseNotAdmin:
		return "The user impersonated is not an administrator allowed to read users and groups (403 notAuthorized)."
	case CauseAPIDisabled:
		return "The Admin SDK API is not enabled in the service account's Google Cloud project (403 accessNotConfigured)."
	case CauseBadCustomer:
		return "Google does not know this customer id or domain."
	case CauseRateLimited:
		return "Google kept answering that the quota is exhausted; the next sync retries."
	case CauseUnreachable:
		return "Google could not be reached; the next sync retries."
	}
	return "Google refused the request."
}

// diagnose turns an error of the token endpoint or the API into an
// *APIError; other errors (a cancelled context) are returned as they are.
func diagnose(err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := re.ErrorCode
		desc := re.ErrorDescription
		if code == "" {
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if json.Unmarshal(re.Body, &body) == nil {
				code, desc = body.Error, body.Description
			}
		}
		e := &APIError{Cause: CauseOther, Code: code, Detail: desc, Err: err}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		switch {
		case code == "unauthorized_client":
			e.Cause = CauseDelegationMissing
		case code == "invalid_grant":
			e.Cause = CauseInvalidGrant
		case retryable(e.Status):
			e.Cause = CauseRateLimited
		}
		return e
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		e := &APIError{Cause: CauseOther, Status: ge.Code, Detail: ge.Message, Err: err}
		for _, it := range ge.Errors {
			if e.Code == "" {
				e.Code = it.Reason
			}
		}
		msg := strings.ToLower(ge.Message)
		switch {
		case e.Code == "accessNotConfigured" || strings.Contains(msg, "has not been used in project") || strings.Contains(msg, "is disabled"):
			e.Cause = CauseAPIDisabled
		case e.Code == "notAuthorized" || (ge.Code == http.StatusForbidden && strings.Contains(msg, "not authorized")):
			e.Cause = CauseNotAdmin
		case ge.Code == http.StatusNotFound || (ge.Code == http.StatusBadRequest && e.Code == "badRequest" && strings.Contains(msg, "customer")):
			e.Cause = CauseBadCustomer
		case retryable(ge.Code):
			e.Cause = CauseRateLimited
		}
		return e
	}
	return &APIError{Cause: CauseUnreachable, Detail: "", Err: err}
}

// invalidPageToken reports whether err is Google's answer to a page token
// that is no longer valid.
func invalidPageToken(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusBadRequest {
		return false
	}
	for _, it := range ge.Errors {
		if it.Reason == "invalid" && strings.Contains(strings.ToLower(it.Message), "page token") {
			return true
		}
	}
	return strings.Contains(strings.ToLower(ge.Message), "page token")
}
