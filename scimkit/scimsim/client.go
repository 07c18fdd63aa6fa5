package scimsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Dialect is the identity provider whose SCIM client behaviour the
// simulator reproduces.
type Dialect string

const (
	// Okta: lower-case ops, JSON booleans, PUT for profile updates,
	// deactivation by a path-less replace of active, users never deleted,
	// group push with member add and members[value eq "id"] removal.
	Okta Dialect = "okta"
	// Entra: Microsoft Entra ID. Capitalised ops, "True"/"False" strings,
	// PATCH for every change (dotted and URN keys in path-less values,
	// value-filtered paths), members removed with a value array,
	// excludedAttributes=members on group reads, DELETE of users.
	Entra Dialect = "entra"
)

// Valid reports whether d is a known dialect.
func (d Dialect) Valid() bool { return d == Okta || d == Entra }

// SCIM schema and media type identifiers.
const (
	SchemaUser           = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaGroup          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaPatchOp        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaListResponse   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaError          = "urn:ietf:params:scim:api:messages:2.0:Error"
	// SchemaEntraGroup is the legacy group schema Entra ID still sends.
	SchemaEntraGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

	MediaType = "application/scim+json"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the SCIM endpoint of one directory, such as
	// "https://app.example.com/scim/dir_123"; /Users and /Groups are
	// appended. Required, http or https.
	BaseURL string

	// Token is sent as "Authorization: Bearer <Token>". Required. It is
	// never logged nor recorded in the exchange log.
	Token string

	// Dialect selects the provider to imitate: Okta or Entra. Required.
	Dialect Dialect

	// HTTPClient sends the requests. Default: a client with a 30s timeout.
	HTTPClient *http.Client

	// UserAgent is sent with every request. Default: "Okta SCIM Client
	// 1.0.0" (what Okta sends) for Okta, "Microsoft Entra provisioning
	// (onboardkit scimsim)" for Entra.
	UserAgent string

	// OnExchange, when set, is called after every request with its record,
	// synchronously, from the goroutine that made the request. Default nil.
	OnExchange func(Exchange)

	// MaxLogEntries bounds the exchange log kept by the Client: the oldest
	// entries are dropped first. Default 1000.
	MaxLogEntries int

	// MaxLoggedBody is how many bytes of each request and response body
	// the log keeps. Default 64 KiB.
	MaxLoggedBody int

	// Now is the clock (exchange times and durations). Default time.Now.
	Now func() time.Time

	// Rand is the source of random GUIDs (Entra's connection test).
	// Default crypto/rand.
	Rand io.Reader

	// Logger receives one debug line per request and warnings about
	// failures. The token and bodies are never logged. Default
	// slog.Default().
	Logger *slog.Logger
}

// Client is a SCIM 2.0 client that talks to a service provider the way
// the configured identity provider does. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	client *http.Client

	mu  sync.Mutex
	seq int
	log []Exchange
}

// Sentinel errors.
var (
	// ErrUnsupported: the dialect never makes this request (Okta never
	// deletes users).
	ErrUnsupported = errors.New("scimsim: not something this identity provider does")
	// ErrBadResponse: the server answered 2xx but not what the identity
	// provider expects (no id, Resources missing, invalid JSON...). The
	// error text says what was wrong.
	ErrBadResponse = errors.New("scimsim: unexpected response")
	// ErrNotFound: a lookup by filter matched no resource.
	ErrNotFound = errors.New("scimsim: not found")
	// ErrTooManyFailures: a full sync stopped after SyncSpec.MaxFailures
	// failed operations.
	ErrTooManyFailures = errors.New("scimsim: too many failures")
)

// Error is a non-2xx answer from the server, with its SCIM error body
// parsed when it has one.
type Error struct {
	Method string
	Path   string // relative to BaseURL, with query
	Status int    // HTTP status code
	// SCIMType, Detail: from the SCIM error body; empty when the body is
	// not one.
	SCIMType string
	Detail   string
	// Body is the response body (truncated to MaxLoggedBody).
	Body string
}

// Error describes the server's SCIM error answer.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scimsim: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.SCIMType != "" {
		fmt.Fprintf(&b, " (%s)", e.SCIMType)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	return b.String()
}

// Exchange records one request and the server's answer.
type Exchange struct {
	Seq  int    `json:"seq"`  // 1-based, in the order requests were sent
	Step string `json:"step"` // what the simulator was doing, e.g. "create user user0001@example.com"

	Method          string      `json:"method"`
	Path            string      `json:"path"` // relative to BaseURL, with the query as sent
	RequestType     string      `json:"request_content_type,omitempty"`
	RequestBody     string      `json:"request_body,omitempty"`
	Status          int         `json:"status"` // 0 when no answer was received
	ResponseType    string      `json:"response_content_type,omitempty"`
	ResponseBody    string      `json:"response_body,omitempty"`
	ResponseHeaders http.Header `json:"response_headers,omitempty"`
	// Err is the transport error when no answer was received.
	Err string `json:"error,omitempty"`
	// Notes lists what a real identity provider would object to in the
	// answer even though it was accepted (a 201 without Location, a
	// "Resources": null list, a text/html error body...).
	Notes []string `json:"notes,omitempty"`
	// Truncated reports that a body was cut to MaxLoggedBody.
	Truncated bool `json:"truncated,omitempty"`

	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("scimsim: Config.BaseURL must be an absolute http(s) URL without query, got %q", cfg.BaseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if cfg.Token == "" || strings.ContainsAny(cfg.Token, "\r\n") {
		return nil, errors.New("scimsim: Config.Token is required and must be one line")
	}
	if !cfg.Dialect.Valid() {
		return nil, fmt.Errorf("scimsim: Config.Dialect must be scimsim.Okta or scimsim.Entra, got %q", cfg.Dialect)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.UserAgent == "" {
		if cfg.Dialect == Okta {
			cfg.UserAgent = "Okta SCIM Client 1.0.0"
		} else {
			cfg.UserAgent = "Microsoft Entra provisioning (onboardkit scimsim)"
		}
	}
	if cfg.MaxLogEntries <= 0 {
		cfg.MaxLogEntries = 1000
	}
	if cfg.MaxLoggedBody <= 0 {
		cfg.MaxLoggedBody = 64 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Client{cfg: cfg, base: u, client: cfg.HTTPClient}, nil
}

// Dialect returns the dialect the client speaks.
func (c *Client) Dialect() Dialect { return c.cfg.Dialect }

// Log returns a copy of the recorded exchanges, oldest first (at most
// Config.MaxLogEntries).
func (c *Client) Log() []Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Exchange, len(c.log))
	for i, e := range c.log {
		e.Notes = append([]string(nil), e.Notes...)
		e.ResponseHeaders = e.ResponseHeaders.Clone()
		out[i] = e
	}
	return out
}

// ResetLog empties the exchange log.
func (c *Client) ResetLog() {
	c.mu.Lock()
	c.log = nil
	c.mu.Unlock()
}

// Requests returns how many requests the client has sent.
func (c *Client) Requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

func (c *Client) record(e *Exchange) {
	c.mu.Lock()
	if len(c.log) >= c.cfg.MaxLogEntries {
		n := len(c.log) - c.cfg.MaxLogEntries + 1
		c.log = append(c.log[:0], c.log[n:]...)
	}
	c.log = append(c.log, *e)
	c.mu.Unlock()
	if c.cfg.OnExchange != nil {
		c.cfg.OnExchange(*e)
	}
}

func (c *Client) nextSeq() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return c.seq
}

// request describes one call.
type request struct {
	step   string
	method string
	path   string     // "/Users" or "/Users/<id>"
	query  url.Values // nil for none
	// rawQuery, when set, is used as is (to reproduce a provider's exact
	// encoding).
	rawQuery string
	body     any // marshalled as JSON; nil for no body
	// expect lists acceptable success statuses; empty means any 2xx.
	expect []int
}

// response is a received answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

const maxResponseBody = 8 << 20

// maxRateRetries is how many times a request answered 429 is sent again,
// after the Retry-After the server gave (at most maxRetryAfter), as Okta
// and Entra ID do.
const (
	maxRateRetries = 8
	maxRetryAfter  = time.Minute
)

// do sends r and records the exchange, sending it again after a 429 (see
// maxRateRetries). A non-2xx answer is returned as *Error; a transport
// failure as the wrapped error.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.doOnce(ctx, r)
		if resp == nil || resp.status != http.StatusTooManyRequests || attempt == maxRateRetries {
			return resp, err
		}
		wait := time.Second
		if secs, perr := strconv.Atoi(resp.header.Get("Retry-After")); perr == nil && secs >= 0 {
			wait = min(time.Duration(secs)*time.Second, maxRetryAfter)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, err
		case <-t.C:
		}
	}
}

// doOnce sends r once and records the exchange.
func (c *Client) doOnce(ctx context.Context, r request) (*response, error) {
	u := *c.base
	u.Path += r.path
	rel := r.path
	switch {
	case r.rawQuery != "":
		u.RawQuery = r.rawQuery
	case len(r.query) > 0:
		u.RawQuery = r.query.Encode()
	}
	if u.RawQuery != "" {
		rel += "?" + u.RawQuery
	}
	ex := &Exchange{Seq: c.nextSeq(), Step: r.step, Method: r.method, Path: rel}

	var reqBody []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("scimsim: encoding request: %w", err)
		}
		reqBody = b
		ex.RequestType = c.contentType()
		logged := b
		if m, ok := r.body.(map[string]any); ok && m["password"] != nil {
			// The log is shown in the portal: never a password in it.
			red := make(map[string]any, len(m))
			for k, v := range m {
				red[k] = v
			}
			red["password"] = "[redacted]"
			logged, _ = json.Marshal(red)
		}
		ex.RequestBody, ex.Truncated = c.clip(logged)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), bytes.NewReader(reqBody))
	if err != nil {
		return nil, fmt.Errorf("scimsim: building request: %w", err)
	}
	if reqBody == nil {
		req.Body = nil
		req.ContentLength = 0
	} else {
		req.Header.Set("Content-Type", ex.RequestType)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Accept", MediaType)
	req.Header.Set("User-Agent", c.cfg.UserAgent)

	ex.Started = c.cfg.Now().UTC()
	resp, err := c.client.Do(req)
	if err != nil {
		ex.Duration = c.cfg.Now().Sub(ex.Started)
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		ex.Err = err.Error()
		c.record(ex)
		c.cfg.Logger.Warn("scimsim: request failed", "method", r.method, "path", rel, "err", err)
		return nil, fmt.Errorf("scimsim: %s %s: %w", r.method, rel, err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	resp.Body.Close()
	ex.Duration = c.cfg.Now().Sub(ex.Started)
	ex.Status = resp.StatusCode
	ex.ResponseType = resp.Header.Get("Content-Type")
	ex.ResponseHeaders = interestingHeaders(resp.Header)
	var cut bool
	ex.ResponseBody, cut = c.clip(body)
	ex.Truncated = ex.Truncated || cut
	if err != nil {
		ex.Err = err.Error()
		c.record(ex)
		return nil, fmt.Errorf("scimsim: %s %s: reading the answer: %w", r.method, rel, err)
	}
	if len(body) > maxResponseBody {
		ex.Err = "response body too large"
		c.record(ex)
		return nil, fmt.Errorf("%w: %s %s: response body larger than %d bytes", ErrBadResponse, r.method, rel, maxResponseBody)
	}
	ex.Notes = notes(r, resp.StatusCode, resp.Header, body)
	c.record(ex)
	c.cfg.Logger.Debug("scimsim: exchange", "step", r.step, "method", r.method, "path", rel, "status", resp.StatusCode, "duration", ex.Duration)

	out := &response{status: resp.StatusCode, header: resp.Header, body: body}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, parseError(r.method, rel, resp.StatusCode, body, c.cfg.MaxLoggedBody)
	}
	if len(r.expect) > 0 && !containsInt(r.expect, resp.StatusCode) {
		return out, fmt.Errorf("%w: %s %s answered %d, expected %v", ErrBadResponse, r.method, rel, resp.StatusCode, r.expect)
	}
	return out, nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (c *Client) contentType() string {
	if c.cfg.Dialect == Okta {
		return MediaType + "; charset=utf-8"
	}
	return MediaType
}

func (c *Client) clip(b []byte) (string, bool) {
	if len(b) > c.cfg.MaxLoggedBody {
		return string(b[:c.cfg.MaxLoggedBody]), true
	}
	return string(b), false
}

func interestingHeaders(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range []string{"Content-Type", "Location", "ETag", "WWW-Authenticate", "Retry-After"} {
		if v := h.Values(k); len(v) > 0 {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// notes lists deviations a real identity provider would trip over.
func notes(r request, status int, h http.Header, body []byte) []string {
	var out []string
	ct := h.Get("Content-Type")
	if len(body) > 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != MediaType && mt != "application/json") {
			out = append(out, fmt.Sprintf("response Content-Type is %q, not application/scim+json", ct))
		} else if mt != MediaType {
			out = append(out, "response Content-Type is application/json; RFC 7644 asks for application/scim+json")
		}
	}
	if status == http.StatusCreated && h.Get("Location") == "" {
		out = append(out, "201 Created without a Location header")
	}
	if r.method == http.MethodPost && status == http.StatusOK {
		out = append(out, "POST answered 200; RFC 7644 asks for 201 Created")
	}
	if status >= 400 && len(body) > 0 {
		var e struct {
			Schemas []string `json:"schemas"`
		}
		if json.Unmarshal(body, &e) != nil || !containsFold(e.Schemas, SchemaError) {
			out = append(out, "error body is not a SCIM Error message")
		}
	}
	if status >= 200 && status < 300 && len(body) > 0 {
		var res map[string]json.RawMessage
		if json.Unmarshal(body, &res) == nil {
			for k := range res {
				if strings.EqualFold(k, "password") {
					out = append(out, "the response returns a password attribute; it must never be returned")
				}
			}
		}
	}
	if r.method == http.MethodGet && status == http.StatusOK && (r.path == "/Users" || r.path == "/Groups") {
		var l map[string]json.RawMessage
		if json.Unmarshal(body, &l) == nil {
			if v, ok := l["Resources"]; !ok || string(v) == "null" {
				out = append(out, `list response without "Resources": [] (Entra ID requires the array, even when empty)`)
			}
		}
	}
	return out
}

func containsFold(s []string, v string) bool {
	for _, x := range s {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// parseError builds an *Error from a non-2xx answer. The SCIM error
// "status" may be a string (per RFC 7644) or a number (seen in the wild).
func parseError(method, path string, status int, body []byte, max int) *Error {
	e := &Error{Method: method, Path: path, Status: status}
	if len(body) > max {
		e.Body = string(body[:max])
	} else {
		e.Body = string(body)
	}
	var m struct {
		SCIMType string `json:"scimType"`
		Detail   string `json:"detail"`
	}
	if json.Unmarshal(body, &m) == nil {
		e.SCIMType, e.Detail = m.SCIMType, m.Detail
	}
	return e
}

// Resource is a SCIM resource as the server returned it.
type Resource map[string]any

// ID returns the resource's id, "" when absent.
func (r Resource) ID() string {
	s, _ := r["id"].(string)
	return s
}

// String returns the string attribute name ("" when absent or not a
// string). Dotted names reach sub-attributes: "name.givenName".
func (r Resource) String(name string) string {
	v := r.lookup(name)
	s, _ := v.(string)
	return s
}

// Active returns the active attribute, accepting booleans and the strings
// "true"/"false" in any case; ok is false when absent or not boolean.
func (r Resource) Active() (active, ok bool) {
	switch v := r.lookup("active").(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func (r Resource) lookup(name string) any {
	// Schema URNs contain dots ("...:2.0:User"): a key equal to the whole
	// name wins over a dotted path.
	for k, v := range r {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	head, rest, ok := strings.Cut(name, ".")
	if !ok {
		return nil
	}
	for k, v := range r {
		if strings.EqualFold(k, head) {
			if m, isMap := v.(map[string]any); isMap {
				return Resource(m).lookup(rest)
			}
			return nil
		}
	}
	return nil
}

// decodeResource parses a resource answer and checks it has an id.
func decodeResource(resp *response, what string) (Resource, error) {
	var r Resource
	if err := json.Unmarshal(resp.body, &r); err != nil || r == nil {
		return nil, fmt.Errorf("%w: %s: the answer is not a JSON object", ErrBadResponse, what)
	}
	if r.ID() == "" {
		return nil, fmt.Errorf("%w: %s: the answer has no id", ErrBadResponse, what)
	}
	return r, nil
}

// ListResponse is a parsed SCIM list answer.
type ListResponse struct {
	TotalResults int        `json:"totalResults"`
	StartIndex   int        `json:"startIndex"`
	ItemsPerPage int        `json:"itemsPerPage"`
	Resources    []Resource `json:"Resources"`
}

// decodeList parses a list answer. strict (Entra) refuses a missing or
// null Resources array.
func decodeList(resp *response, what string, strict bool) (*ListResponse, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(resp.body, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("%w: %s: the answer is not a JSON object", ErrBadResponse, what)
	}
	if _, ok := raw["totalResults"]; !ok {
		return nil, fmt.Errorf("%w: %s: the list has no totalResults", ErrBadResponse, what)
	}
	if res, ok := raw["Resources"]; strict && (!ok || string(res) == "null") {
		return nil, fmt.Errorf(`%w: %s: the list has no "Resources" array (Entra ID requires "Resources": [])`, ErrBadResponse, what)
	}
	var l ListResponse
	if err := json.Unmarshal(resp.body, &l); err != nil {
		return nil, fmt.Errorf("%w: %s: malformed list: %v", ErrBadResponse, what, err)
	}
	if l.TotalResults < len(l.Resources) {
		return nil, fmt.Errorf("%w: %s: totalResults %d is less than the %d resources returned", ErrBadResponse, what, l.TotalResults, len(l.Resources))
	}
	return &l, nil
}
