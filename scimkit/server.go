package scimkit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

// TokenPrefix starts every SCIM bearer token scimkit issues.
const TokenPrefix = "scim_"

// OutsideDomainPolicy is what scimkit does with a user whose email
// addresses are not all in a verified domain of the directory's
// organization.
type OutsideDomainPolicy int

const (
	// OutsideDomainsMark accepts the user and sets
	// store.DirectoryUser.OutsideDomains. SSO still refuses such emails
	// unless the connection allows them. This is the default.
	OutsideDomainsMark OutsideDomainPolicy = iota
	// OutsideDomainsRefuse answers 400 invalidValue to the IdP and
	// writes nothing.
	OutsideDomainsRefuse
)

// Config configures a Server. Store and BaseURL are required.
type Config struct {
	// Store keeps directories, tokens, users, groups and events. Required.
	Store Store

	// BaseURL is the absolute URL where the Server is mounted, such as
	// "https://app.example.com/scim". A directory's SCIM endpoint is
	// BaseURL + "/" + directory id; meta.location and Location headers are
	// built from it. Required.
	BaseURL string

	// BeforeChange, when set, is called before every user or group
	// change is written, outside any Store transaction. Returning a
	// *RefusalError refuses the change with the status, scimType and
	// detail it carries; any other error refuses it with a generic 500.
	// Default: nil, every valid change is accepted.
	BeforeChange func(ctx context.Context, c *Change) error

	// OutsideDomains is the policy for users whose emails are outside the
	// organization's verified domains. Default: OutsideDomainsMark.
	OutsideDomains OutsideDomainPolicy

	// MaxBodyBytes caps request bodies; larger ones get 413. Default
	// 1 MiB for Users; for Groups, 256 bytes for each of
	// MaxMembersPerRequest members and at least 1 MiB (2.5 MiB at the
	// default MaxMembersPerRequest), so that a request naming that many
	// members, each in an operation of its own with a display name, fits.
	MaxBodyBytes int64

	// MaxResults caps the count of a list request and is the page size
	// when count is absent; it is advertised as filter.maxResults in
	// ServiceProviderConfig. Default 100.
	MaxResults int

	// MaxPatchOperations caps the Operations of one PATCH; more get 413.
	// Default 1000 for Users; for Groups, MaxMembersPerRequest and at
	// least 1000, since Entra ID sends one operation per member (a remove
	// with a members[value eq "..."] filter, an add with one value).
	MaxPatchOperations int

	// MaxMembersPerRequest caps the member ids one request may add,
	// remove or set; more get 413. Default 10000: Okta and Entra ID push
	// a large group's members in requests of up to a few thousand, and
	// the SQL stores apply 10,000 in one transaction of about 400
	// statements (scimkit's BenchmarkAddMembers measures it).
	MaxMembersPerRequest int

	// Roles declares the host's custom attributes (roles.Config.Fields):
	// each user write reads their values from the SCIM paths the
	// organization maps (store.AttributeMapping) into
	// store.DirectoryUser.Custom, and refuses a value of the wrong type
	// with 400 invalidValue naming the attribute. Its SCIMExtension, when
	// set, is served in /Schemas and /ResourceTypes. Default nil: no
	// custom attributes.
	Roles *roles.Config

	// CacheTTL is how long the Server reuses what it read to authenticate
	// a token (the token and its directory) and to judge email domains,
	// instead of reading the Store on every request. A token revoked or a
	// directory deactivated through this Server stops working at once;
	// changed through another Server (another app instance) or the Store
	// itself, within CacheTTL. Default DefaultCacheTTL (1 s); negative
	// reads the Store on every request.
	CacheTTL time.Duration

	// Limits are the request rates one directory, and one client address
	// whose requests fail authentication, may send. A request over a limit
	// gets 429 with Retry-After and a SCIM error body. Each field's zero
	// value is its default (see DefaultLimits).
	Limits Limits

	// TrustedProxies are the addresses of the host's reverse proxies and
	// load balancers, whose X-Forwarded-For is believed when limiting
	// per client address (see limits.ClientIP). Default: none, the
	// connection's address counts.
	TrustedProxies []netip.Prefix

	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of ids and tokens. Default crypto/rand.
	Rand io.Reader
	// Logger receives operator-facing diagnoses. Default slog.Default().
	Logger *slog.Logger

	// TracerProvider receives a span per SCIM request
	// (onboardkit.scim.request: operation, resource type, directory,
	// status); see "Telemetry" in docs/operations.md. Default:
	// otel.GetTracerProvider(), a no-op unless the host set one.
	TracerProvider trace.TracerProvider

	// MeterProvider receives onboardkit.scim.requests and
	// onboardkit.scim.request.duration by operation, resource type and
	// status (the Store counts onboardkit.events.produced). Default:
	// otel.GetMeterProvider(), a no-op unless the host set one.
	MeterProvider metric.MeterProvider
}

// Limits are the rates of Config.Limits. The limits are local to each
// app instance: they protect its cycles, so one directory flooding the
// endpoint leaves room for the others.
type Limits struct {
	// PerDirectory is the rate of one directory's authenticated requests.
	// Default 50 per second, bursts of 200: well above what Okta and
	// Entra ID send while provisioning (Okta's own default is 600 per
	// minute per app), so only a runaway client meets it.
	PerDirectory limits.Rate
	// Unauthenticated is the rate of requests failing authentication
	// (no, malformed, unknown, revoked or another directory's token) from
	// one client address. Once an address has used it up, its requests
	// get 429 before their token is even looked at, until the bucket
	// refills; requests that authenticate take nothing from it. Default
	// 2 per second, bursts of 20.
	Unauthenticated limits.Rate
}

// DefaultLimits are the limits of a zero Config.Limits.
var DefaultLimits = Limits{
	PerDirectory:    limits.Rate{PerSecond: 50, Burst: 200},
	Unauthenticated: limits.Rate{PerSecond: 2, Burst: 20},
}

// Server is the SCIM 2.0 service provider of every directory: an
// http.Handler serving /{directory}/Users, /{directory}/Groups and the
// discovery endpoints, plus the management API used by the portal.
type Server struct {
	st       Store
	base     string
	hook     func(ctx context.Context, c *Change) error
	outside  OutsideDomainPolicy
	maxBody  int64
	maxRes   int
	maxOps   int
	maxMemb  int
	now      func() time.Time
	rand     io.Reader
	log      *slog.Logger
	users    *resourceSchema
	groups   *resourceSchema
	mux      *http.ServeMux
	touchAge time.Duration
	auth     *ttlCache[authEntry] // by token digest
	refusals refusals
	owners   *ttlCache[string] // verified domain -> organization id ("" for none)

	// Limits of Groups requests, which carry up to maxMemb members.
	maxGroupBody int64
	maxGroupOps  int

	perDir  *limits.Keyed // by directory id
	junk    *limits.Keyed // by client address, of failed authentications
	logged  *limits.Keyed // which refusals to log
	proxies []netip.Prefix

	tel *telemetry.Requests
}

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("scimkit: Config.Store is required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("scimkit: Config.BaseURL must be an absolute http(s) URL without query, got %q", cfg.BaseURL)
	}
	if cfg.OutsideDomains != OutsideDomainsMark && cfg.OutsideDomains != OutsideDomainsRefuse {
		return nil, fmt.Errorf("scimkit: unknown OutsideDomains policy %d", cfg.OutsideDomains)
	}
	if cfg.Roles != nil {
		if err := cfg.Roles.Validate(); err != nil {
			return nil, fmt.Errorf("scimkit: Config.Roles: %w", err)
		}
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxResults < 0 || cfg.MaxPatchOperations < 0 || cfg.MaxMembersPerRequest < 0 {
		return nil, errors.New("scimkit: limits must not be negative")
	}
	perDir := cfg.Limits.PerDirectory.Or(DefaultLimits.PerDirectory)
	junk := cfg.Limits.Unauthenticated.Or(DefaultLimits.Unauthenticated)
	if err := errors.Join(perDir.Validate("scimkit: Config.Limits.PerDirectory"), junk.Validate("scimkit: Config.Limits.Unauthenticated")); err != nil {
		return nil, err
	}
	s := &Server{
		st:       cfg.Store,
		base:     strings.TrimRight(cfg.BaseURL, "/"),
		hook:     cfg.BeforeChange,
		outside:  cfg.OutsideDomains,
		maxBody:  cfg.MaxBodyBytes,
		maxRes:   cfg.MaxResults,
		maxOps:   cfg.MaxPatchOperations,
		maxMemb:  cfg.MaxMembersPerRequest,
		now:      cfg.Now,
		rand:     cfg.Rand,
		log:      cfg.Logger,
		users:    newUserSchema(cfg.Roles),
		groups:   newGroupSchema(),
		touchAge: time.Minute,
	}
	if s.maxBody == 0 {
		s.maxBody = 1 << 20
	}
	if s.maxRes == 0 {
		s.maxRes = 100
	}
	if s.maxOps == 0 {
		s.maxOps = 1000
	}
	if s.maxMemb == 0 {
		s.maxMemb = 10000
	}
	s.maxGroupBody, s.maxGroupOps = s.maxBody, s.maxOps
	if cfg.MaxBodyBytes == 0 {
		s.maxGroupBody = max(s.maxBody, 256*int64(s.maxMemb))
	}
	if cfg.MaxPatchOperations == 0 {
		s.maxGroupOps = max(s.maxOps, s.maxMemb)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.perDir, s.junk = limits.NewKeyed(perDir, s.now), limits.NewKeyed(junk, s.now)
	s.logged = limits.NewLogSampler(s.now)
	s.proxies = slices.Clone(cfg.TrustedProxies)
	ttl := cfg.CacheTTL
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	s.auth, s.owners = newTTLCache[authEntry](ttl), newTTLCache[string](ttl)
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.tel, err = telemetry.NewRequests(cfg.TracerProvider, cfg.MeterProvider, telemetry.SpanSCIMRequest,
		telemetry.MetricSCIMRequests, telemetry.MetricSCIMDuration, "SCIM"); err != nil {
		return nil, fmt.Errorf("scimkit: telemetry: %w", err)
	}
	s.routes()
	return s, nil
}

// resourceRoutes are the handlers of one resource type, Users or Groups.
type resourceRoutes struct {
	list                        func(w http.ResponseWriter, r *http.Request, d *store.Directory, lp listParams)
	create                      func(w http.ResponseWriter, r *http.Request, d *store.Directory)
	get, replace, patch, remove func(w http.ResponseWriter, r *http.Request, d *store.Directory, id string)
}

// collection serves /{dir}/Users or /{dir}/Groups: list and create.
func (s *Server) collection(rt resourceRoutes) dirHandler {
	return func(w http.ResponseWriter, r *http.Request, d *store.Directory) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			rt.list(w, r, d, listParamsFromQuery(r))
		case http.MethodPost:
			rt.create(w, r, d)
		default:
			s.methodNotAllowed(w, "GET, POST")
		}
	}
}

// resource serves /{dir}/Users/{id} or /{dir}/Groups/{id}, and the
// .search of the collection.
func (s *Server) resource(rt resourceRoutes) dirHandler {
	return func(w http.ResponseWriter, r *http.Request, d *store.Directory) {
		id := r.PathValue("id")
		if id == ".search" {
			if r.Method != http.MethodPost {
				s.methodNotAllowed(w, "POST")
				return
			}
			if lp, ok := s.searchParams(w, r); ok {
				rt.list(w, r, d, lp)
			}
			return
		}
		if store.ValidateLine("id", id) != nil {
			// No resource has such an id, and some Stores cannot even
			// look it up: the same 404 on every Store.
			s.writeError(w, scimError(http.StatusNotFound, "", "Resource not found."))
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			rt.get(w, r, d, id)
		case http.MethodPut:
			rt.replace(w, r, d, id)
		case http.MethodPatch:
			rt.patch(w, r, d, id)
		case http.MethodDelete:
			rt.remove(w, r, d, id)
		default:
			s.methodNotAllowed(w, "GET, PUT, PATCH, DELETE")
		}
	}
}

func (s *Server) routes() {
	users := resourceRoutes{list: s.listUsers, create: s.createUser, get: s.getUser, replace: s.replaceUser, patch: s.patchUser, remove: s.deleteUser}
	groups := resourceRoutes{list: s.listGroups, create: s.createGroup, get: s.getGroup, replace: s.replaceGroup, patch: s.patchGroup, remove: s.deleteGroup}
	m := http.NewServeMux()
	// A collection answers with or without a trailing slash, as clients
	// send both.
	m.HandleFunc("/{dir}/Users", s.authed(s.collection(users)))
	m.HandleFunc("/{dir}/Users/{$}", s.authed(s.collection(users)))
	m.HandleFunc("/{dir}/Users/{id}", s.authed(s.resource(users)))
	m.HandleFunc("/{dir}/Groups", s.authed(s.collection(groups)))
	m.HandleFunc("/{dir}/Groups/{$}", s.authed(s.collection(groups)))
	m.HandleFunc("/{dir}/Groups/{id}", s.authed(s.resource(groups)))
	m.HandleFunc("/{dir}/ServiceProviderConfig", s.authed(s.discovery(s.serveSPC)))
	m.HandleFunc("/{dir}/ResourceTypes", s.authed(s.discovery(s.serveResourceTypes)))
	m.HandleFunc("/{dir}/ResourceTypes/{name}", s.authed(s.discovery(s.serveResourceType)))
	m.HandleFunc("/{dir}/Schemas", s.authed(s.discovery(s.serveSchemas)))
	m.HandleFunc("/{dir}/Schemas/{name}", s.authed(s.discovery(s.serveSchema)))
	m.HandleFunc("/{dir}/{rest...}", s.authed(func(w http.ResponseWriter, r *http.Request, d *store.Directory) {
		s.writeError(w, scimError(http.StatusNotFound, "", "Endpoint not found."))
	}))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, scimError(http.StatusNotFound, "", "Endpoint not found."))
	})
	s.mux = m
}

// ServeHTTP serves the SCIM endpoints of every directory, each request
// under an onboardkit.scim.request span.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.tel.Serve(w, r, s.mux, describeRequest)
}

// EndpointURL returns the SCIM base URL of a directory, the URL an IT
// admin pastes into the identity provider.
func (s *Server) EndpointURL(directoryID string) string {
	return s.base + "/" + url.PathEscape(directoryID)
}

type ctxKey struct{}

// DirectoryFromContext returns the directory a SCIM request was
// authenticated for, inside the Server's handlers (and BeforeChange).
func DirectoryFromContext(ctx context.Context) (*store.Directory, bool) {
	d, ok := ctx.Value(ctxKey{}).(*store.Directory)
	return d, ok
}

type dirHandler func(w http.ResponseWriter, r *http.Request, d *store.Directory)

// authed authenticates the bearer token against the directory of the
// path. The token must exist, be active, and belong to that directory; a
// token in the query string is refused outright. Failures are 401 with
// the same body whatever the cause; an inactive directory is 403 once the
// token is proven valid for it.
func (s *Server) authed(h dirHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		dirID := r.PathValue("dir")
		// A client address whose requests keep failing authentication
		// is refused before its token costs anything.
		client := limits.ClientKey(r, s.proxies)
		if wait := s.junk.Peek(client); wait > 0 {
			if s.logged.Allow("client:"+client) == 0 {
				s.log.WarnContext(r.Context(), "scimkit: client address over its rate of failed authentications (logged once a minute)", "client", client)
			}
			s.tooMany(w, wait)
			return
		}
		unauthorized := func() {
			s.junk.Allow(client)
			s.unauthorized(w)
		}
		q := r.URL.Query()
		if q.Has("access_token") || q.Has("token") || q.Has("bearer") {
			s.log.WarnContext(r.Context(), "scimkit: token in query string refused", "directory", dirID)
			unauthorized()
			s.refused(r, dirID, RefusalTokenInQuery, http.StatusUnauthorized, nil)
			return
		}
		tok, ok := bearerToken(r)
		if !ok || !secret.Valid(tok, TokenPrefix) {
			s.log.InfoContext(r.Context(), "scimkit: missing or malformed bearer token", "directory", dirID)
			unauthorized()
			s.refused(r, dirID, RefusalNoToken, http.StatusUnauthorized, nil)
			return
		}
		now := s.now()
		// One indexed read, the token and its directory, unless a recent
		// request read them.
		digest := secret.Digest(tok)
		t, d, err := s.authenticate(r.Context(), digest, now)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.log.ErrorContext(r.Context(), "scimkit: token lookup failed", "err", err)
				s.writeError(w, internalError())
				return
			}
			s.log.InfoContext(r.Context(), "scimkit: unknown bearer token", "directory", dirID)
			unauthorized()
			s.refused(r, dirID, RefusalUnknownToken, http.StatusUnauthorized, nil)
			return
		}
		if !secret.Equal([]byte(t.DirectoryID), []byte(dirID)) || d.ID != t.DirectoryID {
			s.log.WarnContext(r.Context(), "scimkit: token of another directory", "directory", dirID, "token_directory", t.DirectoryID, "token", t.ID)
			unauthorized()
			s.refused(r, dirID, RefusalOtherDirectory, http.StatusUnauthorized, nil)
			return
		}
		if !t.ActiveAt(now) {
			s.log.InfoContext(r.Context(), "scimkit: revoked or expired token", "directory", dirID, "token", t.ID)
			unauthorized()
			s.refused(r, dirID, RefusalRevokedToken, http.StatusUnauthorized, d)
			return
		}
		if wait := s.perDir.Allow(d.ID); wait > 0 {
			if s.logged.Allow("dir:"+d.ID) == 0 {
				s.log.WarnContext(r.Context(), "scimkit: directory over its request rate (logged once a minute)", "directory", dirID)
			}
			s.tooMany(w, wait)
			return
		}
		if d.State != store.DirectoryActive {
			s.log.InfoContext(r.Context(), "scimkit: request to an inactive directory", "directory", dirID)
			s.writeError(w, scimError(http.StatusForbidden, "", "This directory is not active."))
			s.refused(r, dirID, RefusalDirectoryInactive, http.StatusForbidden, d)
			return
		}
		if now.Sub(t.LastUsedAt) > s.touchAge {
			// The cached entry keeps the LastUsedAt it was read with: writing
			// it back would restart its TTL on what may be stale by now. The
			// Stores coalesce repeated touches.
			if err := s.st.TouchDirectoryToken(r.Context(), t.ID, now.UTC()); err != nil {
				s.log.WarnContext(r.Context(), "scimkit: recording token use failed", "err", err)
			}
		}
		traceDirectory(r.Context(), d)
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, d)), d)
	}
}

// authenticate returns the token whose digest is digest and its
// directory, from the cache or the Store. The results are copies the
// caller may change.
func (s *Server) authenticate(ctx context.Context, digest []byte, now time.Time) (*store.DirectoryToken, *store.Directory, error) {
	if e, ok := s.auth.get(string(digest), now); ok {
		return &e.token, &e.dir, nil
	}
	gen := s.auth.generation()
	t, d, err := s.st.AuthenticateDirectoryToken(ctx, digest)
	if err != nil {
		return nil, nil, err
	}
	s.auth.put(string(digest), authEntry{*t, *d}, now, gen)
	return t, d, nil
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func (s *Server) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	s.writeError(w, scimError(http.StatusUnauthorized, "", "Authentication failed."))
}

// tooMany answers 429 with Retry-After and the SCIM error body (RFC 7644,
// 3.12: status "429").
func (s *Server) tooMany(w http.ResponseWriter, wait time.Duration) {
	limits.SetRetryAfter(w, wait)
	s.writeError(w, scimError(http.StatusTooManyRequests, "", "Too many requests; retry after the time in Retry-After."))
}

func scimError(status int, scimType scimerrors.ScimType, detail string) scimerrors.ScimError {
	return scimerrors.ScimError{Status: status, ScimType: scimType, Detail: detail}
}

func internalError() scimerrors.ScimError {
	return scimError(http.StatusInternalServerError, "", "The request could not be completed.")
}

func (s *Server) writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	b, err := e.MarshalJSON()
	if err != nil {
		b = []byte(`{"schemas":["` + errorURI + `"],"status":"500"}`)
		e.Status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// fail answers err: SCIM errors as they are, Store outcomes translated,
// anything else as a generic 500 with the cause in the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se scimerrors.ScimError
	var pse *scimerrors.ScimError
	var re *RefusalError
	var fe *FilterError
	switch {
	case errors.As(err, &re):
		s.log.InfoContext(r.Context(), "scimkit: change refused by BeforeChange", "status", re.Status, "detail", re.Detail)
		s.writeError(w, re.scim())
	case errors.As(err, &fe):
		s.log.InfoContext(r.Context(), "scimkit: filter refused", "filter", fe.Filter, "reason", fe.Reason)
		s.writeError(w, scimerrors.ScimErrorInvalidFilter)
	case errors.As(err, &pse):
		s.writeError(w, *pse)
	case errors.As(err, &se):
		s.writeError(w, se)
	case errors.Is(err, store.ErrNotFound):
		s.writeError(w, scimError(http.StatusNotFound, "", "Resource not found."))
	case errors.Is(err, store.ErrAlreadyExists):
		s.log.InfoContext(r.Context(), "scimkit: uniqueness conflict", "err", err)
		s.writeError(w, scimerrors.ScimErrorUniqueness)
	case errors.Is(err, errStale):
		s.writeError(w, scimError(http.StatusConflict, "", "The resource was modified concurrently; retry."))
	case errors.As(err, new(*store.TextError)):
		s.log.InfoContext(r.Context(), "scimkit: text refused", "err", err)
		s.fail(w, r, textError(err))
	case errors.Is(err, store.ErrInvalid):
		s.log.InfoContext(r.Context(), "scimkit: store refused the value", "err", err)
		s.writeError(w, scimerrors.ScimErrorInvalidValue)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.writeError(w, scimError(http.StatusServiceUnavailable, "", "The request was cancelled."))
	default:
		s.log.ErrorContext(r.Context(), "scimkit: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		s.writeError(w, internalError())
	}
}

var errStale = errors.New("scimkit: resource changed concurrently")

// readBody reads a request body within the size limit. It answers 413 or
// 400 itself and reports false when it did.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return s.readBodyMax(w, r, s.maxBody)
}

// readBodyMax is readBody with another size limit.
func (s *Server) readBodyMax(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !jsonMediaType(ct) {
		s.writeError(w, scimError(http.StatusUnsupportedMediaType, "", "Content-Type must be application/scim+json or application/json."))
		return nil, false
	}
	if r.ContentLength > limit {
		s.writeError(w, scimError(http.StatusRequestEntityTooLarge, "", "The request body is too large."))
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, scimError(http.StatusRequestEntityTooLarge, "", "The request body is too large."))
			return nil, false
		}
		s.writeError(w, scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidSyntax, "The request body could not be read."))
		return nil, false
	}
	if err := checkBodyUTF8(b); err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return b, true
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	s.writeError(w, scimError(http.StatusMethodNotAllowed, "", "Method not allowed."))
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) dirBase(d *store.Directory) string {
	return s.base + "/" + url.PathEscape(d.ID)
}

func (s *Server) newID(prefix string) (string, error) {
	return secret.NewID(s.rand, prefix)
}
