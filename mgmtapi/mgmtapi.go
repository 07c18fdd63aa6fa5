package mgmtapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/events"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store"
)

// maxAPIBodyBytes bounds a management API request body: enough for a logo
// and a favicon in base64.
const maxAPIBodyBytes = 1 << 20

// Config configures an API. Admin is required.
type Config struct {
	// Admin is the service every endpoint calls. Required.
	Admin *admin.Admin

	// Logger receives operator diagnostics; API keys are never logged.
	// Default slog.Default().
	Logger *slog.Logger

	// Limit is the request rate of one client address, checked before
	// its API key is looked at; over it a request gets 429 with
	// Retry-After and the code rate_limited. Local to each app instance.
	// Default DefaultLimit.
	Limit limits.Rate

	// TrustedProxies are the addresses of the host's reverse proxies and
	// load balancers, whose X-Forwarded-For is believed when limiting per
	// client address (see limits.ClientIP). Default: none, the
	// connection's address counts.
	TrustedProxies []netip.Prefix

	// Now is the clock of the rate limit. Default time.Now.
	Now func() time.Time

	// TracerProvider receives a span per request
	// (onboardkit.mgmtapi.request: route, method, status, operation, API
	// key id, organization); see "Telemetry" in docs/operations.md.
	// Default: otel.GetTracerProvider(), a no-op unless the host set one.
	TracerProvider trace.TracerProvider

	// MeterProvider receives onboardkit.mgmtapi.requests and
	// onboardkit.mgmtapi.request.duration by route, method and status.
	// Default: otel.GetMeterProvider(), a no-op unless the host set one.
	MeterProvider metric.MeterProvider
}

// DefaultLimit is the rate of a zero Config.Limit: 20 requests per second
// per client address, bursts of 100.
var DefaultLimit = limits.Rate{PerSecond: 20, Burst: 100}

// API is the JSON management API. It holds no logic of its own: each
// endpoint decodes its input, calls the admin service and encodes the
// result. See New for the endpoints.
type API struct {
	a       *admin.Admin
	log     *slog.Logger
	mux     *http.ServeMux
	limit   *limits.Keyed
	logged  *limits.Keyed // which refusals to log
	proxies []netip.Prefix
	ops     []operation
	doc     []byte // the OpenAPI document, JSON
	tel     *telemetry.Requests
}

type apiKeyCtxKey struct{}

// New validates cfg and returns the JSON management API, an http.Handler to
// mount under a path of the host's choosing (it is off unless mounted):
//
//	api, err := mgmtapi.New(mgmtapi.Config{Admin: svc})
//	mux.Handle("/api/onboardkit/", http.StripPrefix("/api/onboardkit", api))
//
// Every request must carry a management API key (Admin.CreateAPIKey, or the
// dashboard's API keys page) as "Authorization: Bearer okm_...". A missing,
// unknown or revoked key gets 401 and changes nothing. Keys are stored as
// SHA-256 digests and looked up by digest. The actor of the events the API
// writes is "api_key:<key id>".
//
// Bodies are JSON objects (unknown fields are refused), at most 1 MiB.
// Errors are
//
//	{"error": {"code": "not_found", "message": "organization \"org_x\" not found"}}
//
// with code invalid_input (400), unauthorized (401), not_found (404),
// conflict (409), rate_limited (429, with Retry-After; see Config.Limit),
// not_configured (501) or internal (500). Times are RFC 3339 in UTC;
// absent times are omitted.
//
// The endpoints and their JSON shapes are described by the OpenAPI 3.1
// document the API serves at GET /openapi.json (no key needed), built from
// the same table as its routes; docs/management-api.md walks through them.
// In short: organizations, portal links, sessions, domains, SSO
// connections (create, configure by metadata URL, metadata XML, by hand or
// OIDC discovery, attribute mapping, security options, test links and
// results, enable, disable, delete), directories (create SCIM or Google
// Workspace, tokens: list, create or rotate, revoke; enable, disable),
// Google Workspace settings, key, test and sync, branding, roles and the
// provisioning policy, and GET /events with the pull API's parameters
// (after, limit, types, org_id; after=latest starts from now).
//
// Creations of connections, directories and tokens take an
// Idempotency-Key header: a retry with the same key (from the same API
// key) answers with what the first request created, with
// Idempotent-Replayed: true, and creates nothing (a replayed token is
// described without its secret, which was shown once).
func New(cfg Config) (*API, error) {
	if cfg.Admin == nil {
		return nil, errors.New("mgmtapi: Config.Admin is required")
	}
	limit := cfg.Limit.Or(DefaultLimit)
	if err := limit.Validate("mgmtapi: Config.Limit"); err != nil {
		return nil, err
	}
	m := &API{a: cfg.Admin, log: cfg.Logger, mux: http.NewServeMux(),
		limit: limits.NewKeyed(limit, cfg.Now), logged: limits.NewLogSampler(cfg.Now), proxies: slices.Clone(cfg.TrustedProxies)}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.ops = m.operations()
	for _, op := range m.ops {
		m.mux.HandleFunc(op.Method+" "+op.Path, func(w http.ResponseWriter, r *http.Request) {
			k, _ := r.Context().Value(apiKeyCtxKey{}).(*store.APIKey)
			traceOperation(r, &op, k.ID)
			status, v, err := op.fn(w, r, "api_key:"+k.ID)
			if err != nil {
				m.writeError(w, r, err)
				return
			}
			writeJSON(w, status, v)
		})
	}
	doc, err := buildDocument(m.ops)
	if err != nil {
		return nil, fmt.Errorf("mgmtapi: building the OpenAPI document: %w", err)
	}
	m.doc = doc
	m.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	if m.tel, err = telemetry.NewRequests(cfg.TracerProvider, cfg.MeterProvider, telemetry.SpanMgmtAPIRequest,
		telemetry.MetricMgmtAPIRequests, telemetry.MetricMgmtAPIDuration, "management API"); err != nil {
		return nil, fmt.Errorf("mgmtapi: telemetry: %w", err)
	}
	return m, nil
}

// ServeHTTP serves a request under its span (see Config.TracerProvider).
func (m *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.tel.Serve(w, r, http.HandlerFunc(m.serve), m.describeRequest)
}

// serve authenticates the request's API key, then serves the endpoint.
func (m *API) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			m.log.ErrorContext(r.Context(), "mgmtapi: panic serving management API", "path", r.URL.Path, "panic", v)
			writeAPIError(w, http.StatusInternalServerError, "internal", "something went wrong; the server log has the cause")
		}
	}()
	if r.URL.Path == "/openapi.json" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// The document describes the API, not anyone's data: no key needed.
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(m.doc)))
		_, _ = w.Write(m.doc)
		return
	}
	ctx := r.Context()
	client := limits.ClientKey(r, m.proxies)
	if wait := m.limit.Allow(client); wait > 0 {
		if m.logged.Allow(client) == 0 {
			m.log.WarnContext(ctx, "mgmtapi: client over its request rate (logged once a minute)", "client", client)
		}
		limits.SetRetryAfter(w, wait)
		writeAPIError(w, http.StatusTooManyRequests, "rate_limited", "too many requests; retry after the seconds in Retry-After")
		return
	}
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	ok = ok && strings.EqualFold(scheme, "Bearer")
	k, err := m.a.AuthenticateAPIKey(ctx, strings.TrimSpace(key))
	if !ok || err != nil {
		if ok && err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrRevoked) {
			m.log.ErrorContext(ctx, "mgmtapi: management API authentication", "error", err)
			writeAPIError(w, http.StatusInternalServerError, "internal", "something went wrong; the server log has the cause")
			return
		}
		reason := "missing"
		switch {
		case errors.Is(err, store.ErrRevoked):
			reason = "revoked"
		case ok:
			reason = "unknown"
		}
		m.log.WarnContext(ctx, "mgmtapi: management API request refused", "reason", reason, "method", r.Method, "path", r.URL.Path)
		h.Set("WWW-Authenticate", `Bearer realm="onboardkit"`)
		writeAPIError(w, http.StatusUnauthorized, "unauthorized", "a valid API key is required: send Authorization: Bearer <key>")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBodyBytes)
	m.mux.ServeHTTP(w, r.WithContext(context.WithValue(ctx, apiKeyCtxKey{}, k)))
}

func (m *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg, ok := web.DescribeError(err)
	if !ok {
		if context.Cause(r.Context()) == nil {
			m.log.ErrorContext(r.Context(), "mgmtapi: management API", "method", r.Method, "path", r.URL.Path, "error", err)
		}
	}
	writeAPIError(w, status, code, msg)
}

func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	// No HTML escaping: the body is served as application/json with
	// nosniff, never as markup.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"encoding the response failed"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeBody decodes the JSON object of the request into v. An empty body
// decodes as {}.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return invalidInput("body", "request body is larger than %d bytes", mbe.Limit)
		}
		return invalidInput("body", "request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalidInput("body", "request body must be a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return invalidInput("body", "request body must be one JSON object")
	}
	return nil
}

func queryInt(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, invalidInput(name, "%s must be a whole number", name)
	}
	return n, nil
}

// ----- JSON shapes -----

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

type statusJSON struct {
	Connections       int `json:"connections"`
	ActiveConnections int `json:"active_connections"`
	Directories       int `json:"directories"`
	ActiveDirectories int `json:"active_directories"`
	Domains           int `json:"domains"`
	VerifiedDomains   int `json:"verified_domains"`
	PendingDomains    int `json:"pending_domains"`
}

type orgJSON struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	ExternalID string      `json:"external_id,omitempty"`
	CreatedAt  *time.Time  `json:"created_at,omitempty"`
	UpdatedAt  *time.Time  `json:"updated_at,omitempty"`
	Status     *statusJSON `json:"status,omitempty"`
}

func toOrgJSON(o *store.Organization, st *admin.OrganizationStatus) orgJSON {
	out := orgJSON{ID: o.ID, Name: o.Name, ExternalID: o.ExternalID, CreatedAt: optTime(o.CreatedAt), UpdatedAt: optTime(o.UpdatedAt)}
	if st != nil {
		s := statusJSON(*st)
		out.Status = &s
	}
	return out
}

type linkJSON struct {
	ID        string          `json:"id"`
	OrgID     string          `json:"org_id"`
	Kind      store.LinkKind  `json:"kind"`
	Features  []store.Feature `json:"features"`
	CreatedBy string          `json:"created_by,omitempty"`
	CreatedAt *time.Time      `json:"created_at,omitempty"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
	UsedAt    *time.Time      `json:"used_at,omitempty"`
	RevokedAt *time.Time      `json:"revoked_at,omitempty"`
}

func toLinkJSON(l *store.PortalLink) linkJSON {
	fs := []store.Feature(l.Features)
	if fs == nil {
		fs = []store.Feature{}
	}
	return linkJSON{ID: l.ID, OrgID: l.OrgID, Kind: l.Kind, Features: fs, CreatedBy: l.CreatedBy,
		CreatedAt: optTime(l.CreatedAt), ExpiresAt: optTime(l.ExpiresAt), UsedAt: optTime(l.UsedAt), RevokedAt: optTime(l.RevokedAt)}
}

type recordJSON struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type domainJSON struct {
	ID         string             `json:"id"`
	OrgID      string             `json:"org_id"`
	Name       string             `json:"name"`
	State      store.DomainState  `json:"state"`
	Method     store.DomainMethod `json:"method"`
	Record     *recordJSON        `json:"record,omitempty"`
	VerifiedAt *time.Time         `json:"verified_at,omitempty"`
	VerifiedBy string             `json:"verified_by,omitempty"`
	CheckedAt  *time.Time         `json:"checked_at,omitempty"`
	Failure    string             `json:"failure,omitempty"`
	CreatedAt  *time.Time         `json:"created_at,omitempty"`
	UpdatedAt  *time.Time         `json:"updated_at,omitempty"`
}

func toDomainJSON(di *admin.DomainInfo) domainJSON {
	d := &di.Domain
	out := domainJSON{ID: d.ID, OrgID: d.OrgID, Name: d.Name, State: d.State, Method: d.Method,
		VerifiedAt: optTime(d.VerifiedAt), VerifiedBy: d.VerifiedBy, CheckedAt: optTime(d.CheckedAt),
		CreatedAt: optTime(d.CreatedAt), UpdatedAt: optTime(d.UpdatedAt)}
	if _, msg := domains.FailureOf(d); msg != "" {
		out.Failure = msg
	}
	if di.RecordName != "" && d.State != store.DomainVerified {
		out.Record = &recordJSON{Type: "TXT", Name: di.RecordName, Value: di.RecordValue}
	}
	return out
}

type directoryJSON struct {
	ID        string               `json:"id"`
	OrgID     string               `json:"org_id"`
	Provider  string               `json:"provider"`
	Name      string               `json:"name"`
	State     store.DirectoryState `json:"state"`
	Users     int                  `json:"users"`
	Groups    int                  `json:"groups"`
	CreatedAt *time.Time           `json:"created_at,omitempty"`
	UpdatedAt *time.Time           `json:"updated_at,omitempty"`
	// Endpoint and Tokens are in GET /directories/{id} only.
	Endpoint string      `json:"endpoint,omitempty"`
	Tokens   []tokenJSON `json:"tokens,omitempty"`
}

func toDirectoryJSON(di *admin.DirectoryInfo) directoryJSON {
	d := &di.Directory
	return directoryJSON{ID: d.ID, OrgID: d.OrgID, Provider: d.Provider, Name: d.Name, State: d.State,
		Users: di.Users, Groups: di.Groups, CreatedAt: optTime(d.CreatedAt), UpdatedAt: optTime(d.UpdatedAt)}
}

type assetJSON struct {
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

type brandingJSON struct {
	Scope       string     `json:"scope"`
	AccentColor string     `json:"accent_color"`
	Logo        *assetJSON `json:"logo"`
	Favicon     *assetJSON `json:"favicon"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
}

func toBrandingJSON(b *store.Branding) brandingJSON {
	out := brandingJSON{Scope: b.Scope, AccentColor: b.AccentColor, UpdatedAt: optTime(b.UpdatedAt)}
	if b.Logo != nil {
		out.Logo = &assetJSON{ContentType: b.Logo.ContentType, Size: len(b.Logo.Data)}
	}
	if b.Favicon != nil {
		out.Favicon = &assetJSON{ContentType: b.Favicon.ContentType, Size: len(b.Favicon.Data)}
	}
	return out
}

// ----- Endpoints -----

func (m *API) listOrgs(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	out := orgListJSON{Organizations: []orgJSON{}}
	if ext := q.Get("external_id"); ext != "" {
		s, err := m.a.GetOrganizationByExternalID(r.Context(), ext)
		switch {
		case errors.Is(err, admin.ErrNotFound):
		case err != nil:
			return 0, nil, err
		default:
			out.Organizations = append(out.Organizations, toOrgJSON(&s.Organization, &s.Status))
		}
		return http.StatusOK, out, nil
	}
	page, err := m.a.ListOrganizations(r.Context(), admin.OrganizationQuery{Search: q.Get("search"), After: q.Get("after"), Limit: int(limit)})
	if err != nil {
		return 0, nil, err
	}
	out.Next = page.Next
	for i := range page.Organizations {
		s := &page.Organizations[i]
		out.Organizations = append(out.Organizations, toOrgJSON(&s.Organization, &s.Status))
	}
	return http.StatusOK, out, nil
}

func (m *API) createOrg(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in orgIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	o, err := m.a.CreateOrganization(r.Context(), admin.OrganizationInput{Name: in.Name, ExternalID: in.ExternalID}, actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toOrgJSON(o, nil), nil
}

func (m *API) getOrg(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	ov, err := m.a.Overview(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := overviewJSON{
		Organization: toOrgJSON(&ov.Organization, &ov.Status),
		Connections:  make([]connectionJSON, 0, len(ov.Connections)),
		Directories:  make([]directoryJSON, 0, len(ov.Directories)),
		Domains:      make([]domainJSON, 0, len(ov.Domains)),
		Links:        make([]linkJSON, 0, len(ov.Links)),
	}
	for i := range ov.Connections {
		out.Connections = append(out.Connections, toConnectionJSON(&ov.Connections[i]))
	}
	for i := range ov.Directories {
		out.Directories = append(out.Directories, toDirectoryJSON(&ov.Directories[i]))
	}
	for i := range ov.Domains {
		out.Domains = append(out.Domains, toDomainJSON(&ov.Domains[i]))
	}
	for i := range ov.Links {
		out.Links = append(out.Links, toLinkJSON(&ov.Links[i]))
	}
	if ov.Branding != nil {
		b := toBrandingJSON(ov.Branding)
		out.Branding = &b
	}
	return http.StatusOK, out, nil
}

func (m *API) updateOrg(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in orgUpdateIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	o, err := m.a.UpdateOrganization(r.Context(), r.PathValue("id"), admin.OrganizationUpdate(in), actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toOrgJSON(o, nil), nil
}

func (m *API) deleteOrg(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	if err := m.a.DeleteOrganization(r.Context(), r.PathValue("id"), actor); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (m *API) listLinks(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	links, err := m.a.ListLinks(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]linkJSON, 0, len(links))
	for i := range links {
		out = append(out, toLinkJSON(&links[i]))
	}
	return http.StatusOK, map[string]any{"portal_links": out}, nil
}

func (m *API) generateLink(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in linkIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	l, err := m.a.GenerateLink(r.Context(), r.PathValue("id"), admin.LinkOptions{Features: in.Features, Embedded: in.Embedded}, actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, l, nil
}

func (m *API) revokeLink(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	l, err := m.a.RevokeLink(r.Context(), r.PathValue("id"), actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toLinkJSON(l), nil
}

func (m *API) endSessions(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in endSessionsIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	n, err := m.a.EndSessions(r.Context(), r.PathValue("id"), in.UserID, actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]int{"ended": n}, nil
}

func (m *API) listDomains(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	doms, err := m.a.ListDomains(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]domainJSON, 0, len(doms))
	for i := range doms {
		out = append(out, toDomainJSON(&doms[i]))
	}
	return http.StatusOK, map[string]any{"domains": out}, nil
}

func (m *API) addDomain(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in domainIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	d, err := m.a.AddDomain(r.Context(), r.PathValue("id"), admin.DomainInput{Name: in.Name, Method: in.Method}, actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toDomainJSON(d), nil
}

func (m *API) verifyDomain(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	d, err := m.a.VerifyDomain(r.Context(), r.PathValue("id"), actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toDomainJSON(d), nil
}

func (m *API) checkDomain(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	d, ce, err := m.a.CheckDomain(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{"domain": toDomainJSON(d), "verified": d.Domain.State == store.DomainVerified}
	if ce != nil {
		out["check"] = map[string]any{"kind": ce.Kind, "message": ce.Error()}
	}
	return http.StatusOK, out, nil
}

func (m *API) removeDomain(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	if err := m.a.RemoveDomain(r.Context(), r.PathValue("id"), actor); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (m *API) listConnections(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	conns, err := m.a.ListConnectionInfos(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := connectionListJSON{Connections: make([]connectionJSON, 0, len(conns))}
	for i := range conns {
		out.Connections = append(out.Connections, toConnectionJSON(&conns[i]))
	}
	return http.StatusOK, out, nil
}

// switchEndpoint enables or disables the connection or directory {id}
// with change and answers with it as toJSON writes it.
func switchEndpoint[T, J any](change func(ctx context.Context, id, actor string) (*T, error), toJSON func(*T) J) func(http.ResponseWriter, *http.Request, string) (int, any, error) {
	return func(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
		v, err := change(r.Context(), r.PathValue("id"), actor)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, toJSON(v), nil
	}
}

func (m *API) listDirectories(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	dirs, err := m.a.ListDirectories(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]directoryJSON, 0, len(dirs))
	for i := range dirs {
		out = append(out, toDirectoryJSON(&dirs[i]))
	}
	return http.StatusOK, map[string]any{"directories": out}, nil
}

// directoryOnly is a directory's JSON without its counts.
func directoryOnly(d *store.Directory) directoryJSON {
	return toDirectoryJSON(&admin.DirectoryInfo{Directory: *d})
}

func (m *API) getBranding(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	b, err := m.a.GetBranding(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toBrandingJSON(b), nil
}

func (m *API) updateBranding(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in brandingIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	b, err := m.a.UpdateBranding(r.Context(), r.PathValue("id"), admin.BrandingUpdate(in), actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toBrandingJSON(b), nil
}

func (m *API) listEvents(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	pq, err := events.ParsePullQuery(r, admin.MaxPageSize)
	if err != nil {
		return 0, nil, invalidInput("query", "%s", strings.TrimPrefix(err.Error(), events.ErrBadQuery.Error()+": "))
	}
	page, err := m.a.ListEvents(r.Context(), admin.EventQuery{After: pq.After, Latest: pq.Latest, OrgID: pq.OrgID, Types: pq.Types, Limit: pq.Limit})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, page, nil
}

// invalidInput is the error of a request the API cannot read, in the
// admin service's shape so that it is answered like the service's own.
func invalidInput(field, format string, args ...any) error {
	return &admin.AdminError{Kind: admin.ErrInvalidInput, Field: field, Message: fmt.Sprintf(format, args...)}
}
