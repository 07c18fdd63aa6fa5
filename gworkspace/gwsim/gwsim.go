// Package gwsim simulates the parts of Google Workspace that onboardkit's
// gworkspace package calls: the OAuth token endpoint of the JWT-bearer
// grant (service accounts with domain-wide delegation) and the Admin SDK
// Directory API's users, groups and members listings, with pagination,
// etags and fault injection. It is an http.Handler for tests and local
// development; it keeps everything in memory.
//
//	sim := gwsim.New("example.com")
//	srv := httptest.NewServer(sim)
//	key, _ := sim.NewServiceAccountKey()      // the JSON key file
//	sim.Delegate(key.ClientID, gworkspace.Scopes...)
//	sim.PutUser(gwsim.User{PrimaryEmail: "admin@example.com", IsAdmin: true})
//	// gworkspace.Config{Endpoint: srv.URL, TokenURL: srv.URL + "/token", ...}
//
// Routes: POST /token; GET /admin/directory/v1/users,
// /admin/directory/v1/groups and /admin/directory/v1/groups/{key}/members.
package gwsim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// Scope URLs the simulator knows.
const (
	ScopeUserReadonly   = "https://www.googleapis.com/auth/admin.directory.user.readonly"
	ScopeGroupReadonly  = "https://www.googleapis.com/auth/admin.directory.group.readonly"
	ScopeMemberReadonly = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
)

// User is a Workspace user.
type User struct {
	ID           string // assigned by PutUser when empty
	PrimaryEmail string
	GivenName    string
	FamilyName   string
	Suspended    bool
	Archived     bool
	IsAdmin      bool
	OrgUnitPath  string
}

// Group is a Workspace group.
type Group struct {
	ID          string // assigned by PutGroup when empty
	Email       string
	Name        string
	Description string
}

// Member is a member of a group: a user or a group, by id.
type Member struct {
	ID   string
	Type string // "USER" or "GROUP"
}

// Faults are failures the simulator injects. Counts are consumed as
// requests arrive.
type Faults struct {
	// RateLimit answers the next RateLimit API requests 429 with a
	// Retry-After of RetryAfter seconds.
	RateLimit  int
	RetryAfter int
	// ServerErrors answers the next ServerErrors API requests 503.
	ServerErrors int
	// InvalidGrant makes the token endpoint answer invalid_grant.
	InvalidGrant bool
	// APIDisabled answers every API request 403 accessNotConfigured.
	APIDisabled bool
}

// Calls counts the requests the simulator answered.
type Calls struct {
	Token, Users, Groups, Members int
}

// API is the number of Directory API requests.
func (c Calls) API() int { return c.Users + c.Groups + c.Members }

type account struct {
	clientEmail, clientID string
	pub                   *rsa.PublicKey
}

type token struct {
	sub    string
	scopes map[string]bool
	exp    time.Time
}

// Server is the simulator. Its methods are safe for concurrent use.
type Server struct {
	mu          sync.Mutex
	customer    string
	domain      string
	users       map[string]*User
	groups      map[string]*Group
	members     map[string][]Member
	accounts    map[string]*account        // client email -> account
	delegations map[string]map[string]bool // client id -> scopes
	tokens      map[string]*token
	faults      Faults
	calls       Calls
	gen         int // page tokens of another generation are invalid
	n           int
	now         func() time.Time
	beforeAPI   func(r *http.Request)
	mux         *http.ServeMux
}

// New returns a simulator of the Workspace customer of domain.
func New(domain string) *Server {
	s := &Server{
		customer: "C0sim" + hex.EncodeToString([]byte(domain))[:6], domain: domain,
		users: map[string]*User{}, groups: map[string]*Group{}, members: map[string][]Member{},
		accounts: map[string]*account{}, delegations: map[string]map[string]bool{}, tokens: map[string]*token{},
		now: time.Now,
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /token", s.token)
	s.mux.HandleFunc("GET /admin/directory/v1/users", s.api(ScopeUserReadonly, s.listUsers))
	s.mux.HandleFunc("GET /admin/directory/v1/groups", s.api(ScopeGroupReadonly, s.listGroups))
	s.mux.HandleFunc("GET /admin/directory/v1/groups/{key}/members", s.api(ScopeMemberReadonly, s.listMembers))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// CustomerID returns the customer id of the simulated Workspace.
func (s *Server) CustomerID() string { return s.customer }

func (s *Server) newID() string {
	s.n++
	return strconv.Itoa(100000000000000000 + s.n)
}

// Key is a service-account key made by NewServiceAccountKey.
type Key struct {
	ClientEmail, ClientID string
	JSON                  []byte // the key file, as Google's console downloads it
}

// NewServiceAccountKey makes an RSA-2048 service account, registers its
// public key and returns the key file.
func (s *Server) NewServiceAccountKey() (*Key, error) {
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(pk)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	email := "sync-" + id[len(id)-4:] + "@sim-project.iam.gserviceaccount.com"
	s.accounts[email] = &account{clientEmail: email, clientID: id, pub: &pk.PublicKey}
	b, err := json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": "sim-project", "private_key_id": hex.EncodeToString(der[len(der)-20:]),
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": email, "client_id": id,
		"auth_uri":  "https://accounts.google.com/o/oauth2/auth",
		"token_uri": "https://oauth2.googleapis.com/token",
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	return &Key{ClientEmail: email, ClientID: id, JSON: b}, nil
}

// Delegate grants domain-wide delegation of scopes to the client id,
// replacing an earlier grant; no scopes removes it.
func (s *Server) Delegate(clientID string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(scopes) == 0 {
		delete(s.delegations, clientID)
		return
	}
	m := map[string]bool{}
	for _, sc := range scopes {
		m[sc] = true
	}
	s.delegations[clientID] = m
}

// PutUser creates or replaces the user with u.ID and returns its id.
func (s *Server) PutUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = s.newID()
	}
	if u.OrgUnitPath == "" {
		u.OrgUnitPath = "/"
	}
	s.users[u.ID] = &u
	return u.ID
}

// UpdateUser changes the user id with fn; false when absent.
func (s *Server) UpdateUser(id string, fn func(*User)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if ok {
		fn(u)
		u.ID = id
	}
	return ok
}

// DeleteUser removes the user and its memberships.
func (s *Server) DeleteUser(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, id)
	for g, ms := range s.members {
		s.members[g] = slices.DeleteFunc(ms, func(m Member) bool { return m.ID == id })
	}
}

// PutGroup creates or replaces the group with g.ID and returns its id.
func (s *Server) PutGroup(g Group) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.ID == "" {
		g.ID = s.newID()
	}
	s.groups[g.ID] = &g
	return g.ID
}

// DeleteGroup removes the group and its memberships.
func (s *Server) DeleteGroup(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, id)
	delete(s.members, id)
	for g, ms := range s.members {
		s.members[g] = slices.DeleteFunc(ms, func(m Member) bool { return m.ID == id })
	}
}

// SetMembers replaces the members of the group.
func (s *Server) SetMembers(groupID string, members ...Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[groupID] = slices.Clone(members)
}

// BeforeAPI sets a function called before each Directory API request is
// answered, outside the simulator's lock (tests use it to stop a sync
// midway); nil removes it.
func (s *Server) BeforeAPI(fn func(r *http.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeAPI = fn
}

// SetFaults replaces the faults injected.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// ExpirePageTokens makes every page token handed out so far invalid, as
// Google's expire after a while.
func (s *Server) ExpirePageTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
}

// Calls returns the requests answered so far.
func (s *Server) Calls() Calls {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Populate adds users users (user0001@domain ...) and groups groups, each
// group with the users i, i+groups, i+2*groups ... as members, and makes
// the first user an administrator. It returns the first user's email.
func (s *Server) Populate(users, groups int) string {
	var ids []string
	first := ""
	for i := range users {
		email := fmt.Sprintf("user%05d@%s", i, s.domain)
		if i == 0 {
			first = email
		}
		ids = append(ids, s.PutUser(User{PrimaryEmail: email, GivenName: "User", FamilyName: fmt.Sprintf("%05d", i), IsAdmin: i == 0}))
	}
	for j := range groups {
		gid := s.PutGroup(Group{Email: fmt.Sprintf("group%04d@%s", j, s.domain), Name: fmt.Sprintf("Group %04d", j)})
		var ms []Member
		for i := j; i < len(ids); i += groups {
			ms = append(ms, Member{ID: ids[i], Type: "USER"})
		}
		s.SetMembers(gid, ms...)
	}
	return first
}

// token answers the JWT-bearer grant (RFC 7523) as Google does.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls.Token++
	s.mu.Unlock()
	if r.PostFormValue("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type.")
		return
	}
	tok, err := josejwt.ParseSigned(r.PostFormValue("assertion"), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT.")
		return
	}
	var unverified struct {
		Iss string `json:"iss"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.accounts[unverified.Iss]
	if acct == nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	var c struct {
		josejwt.Claims
		Scope string `json:"scope"`
	}
	if err := tok.Claims(acct.pub, &c); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	now := s.now()
	if err := c.Claims.ValidateWithLeeway(josejwt.Expected{Issuer: acct.clientEmail, Time: now}, time.Minute); err != nil ||
		c.Expiry == nil || c.IssuedAt == nil || len(c.Audience) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
		return
	}
	if s.faults.InvalidGrant {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid grant: account not found")
		return
	}
	sub := s.userByEmail(c.Subject)
	if c.Subject != "" && sub == nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid email or User ID")
		return
	}
	scopes := map[string]bool{}
	for _, sc := range strings.Fields(c.Scope) {
		scopes[sc] = true
	}
	granted := s.delegations[acct.clientID]
	for sc := range scopes {
		if !granted[sc] {
			oauthError(w, http.StatusUnauthorized, "unauthorized_client",
				"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
			return
		}
	}
	if len(scopes) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "Empty or missing scope not allowed.")
		return
	}
	b := make([]byte, 32)
	rand.Read(b)
	at := "ya29.sim-" + base64.RawURLEncoding.EncodeToString(b)
	s.tokens[at] = &token{sub: c.Subject, scopes: scopes, exp: now.Add(time.Hour)}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 3599})
}

func (s *Server) userByEmail(email string) *User {
	for _, u := range s.users {
		if strings.EqualFold(u.PrimaryEmail, email) {
			return u
		}
	}
	return nil
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func apiError(w http.ResponseWriter, status int, reason, domain, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": status, "message": msg,
		"errors": []map[string]string{{"message": msg, "domain": domain, "reason": reason}},
	}})
}

// api wraps a listing with authentication, the scope check and faults.
// handle runs with s.mu held.
func (s *Server) api(scope string, handle func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		before := s.beforeAPI
		s.mu.Unlock()
		if before != nil {
			before(r)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/members"):
			s.calls.Members++
		case strings.HasSuffix(r.URL.Path, "/groups"):
			s.calls.Groups++
		default:
			s.calls.Users++
		}
		if s.faults.ServerErrors > 0 {
			s.faults.ServerErrors--
			apiError(w, http.StatusServiceUnavailable, "backendError", "global", "Service unavailable. Please try again.")
			return
		}
		if s.faults.RateLimit > 0 {
			s.faults.RateLimit--
			w.Header().Set("Retry-After", strconv.Itoa(s.faults.RetryAfter))
			apiError(w, http.StatusTooManyRequests, "rateLimitExceeded", "usageLimits", "Quota exceeded for quota metric 'Queries'.")
			return
		}
		tok := s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		if tok == nil || !s.now().Before(tok.exp) {
			apiError(w, http.StatusUnauthorized, "authError", "global", "Request had invalid authentication credentials.")
			return
		}
		if s.faults.APIDisabled {
			apiError(w, http.StatusForbidden, "accessNotConfigured", "usageLimits",
				"Admin SDK API has not been used in project sim-project before or it is disabled.")
			return
		}
		if !tok.scopes[scope] {
			apiError(w, http.StatusForbidden, "insufficientPermissions", "global", "Request had insufficient authentication scopes.")
			return
		}
		if u := s.userByEmail(tok.sub); u == nil || !u.IsAdmin || u.Suspended {
			apiError(w, http.StatusForbidden, "forbidden", "global", "Not Authorized to access this resource/api")
			return
		}
		handle(w, r)
	}
}

// page selects a page of n items from the query's pageToken and
// maxResults; ok is false when an error was written.
func (s *Server) page(w http.ResponseWriter, r *http.Request, n, def, maxN int) (from, to int, next string, ok bool) {
	size := def
	if v := r.URL.Query().Get("maxResults"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > maxN {
			apiError(w, http.StatusBadRequest, "invalid", "global", "Invalid value for maxResults")
			return 0, 0, "", false
		}
		size = m
	}
	if pt := r.URL.Query().Get("pageToken"); pt != "" {
		b, err := base64.RawURLEncoding.DecodeString(pt)
		var gen, off int
		if err == nil {
			_, err = fmt.Sscanf(string(b), "g%d:o%d", &gen, &off)
		}
		if err != nil || gen != s.gen || off < 0 || off > n {
			apiError(w, http.StatusBadRequest, "invalid", "global", "Invalid page token.")
			return 0, 0, "", false
		}
		from = off
	}
	to = min(n, from+size)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "g%d:o%d", s.gen, to))
	}
	return from, to, next, true
}

func (s *Server) checkCustomer(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	if d := q.Get("domain"); d != "" {
		if !strings.EqualFold(d, s.domain) {
			apiError(w, http.StatusNotFound, "notFound", "global", "Domain not found.")
			return false
		}
		return true
	}
	if c := q.Get("customer"); c != "my_customer" && c != s.customer {
		if c == "" {
			apiError(w, http.StatusBadRequest, "badRequest", "global", "Bad Request")
		} else {
			apiError(w, http.StatusNotFound, "notFound", "global", "Resource Not Found: customer")
		}
		return false
	}
	return true
}

func etag(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(h[:18]) + `"`
}

func writeJSON(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if !s.checkCustomer(w, r) {
		return
	}
	all := make([]*User, 0, len(s.users))
	for _, u := range s.users {
		all = append(all, u)
	}
	slices.SortFunc(all, func(a, b *User) int {
		return strings.Compare(strings.ToLower(a.PrimaryEmail), strings.ToLower(b.PrimaryEmail))
	})
	from, to, next, ok := s.page(w, r, len(all), 100, 500)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, u := range all[from:to] {
		m := map[string]any{
			"kind": "admin#directory#user", "id": u.ID, "primaryEmail": u.PrimaryEmail,
			"name":    map[string]string{"givenName": u.GivenName, "familyName": u.FamilyName, "fullName": strings.TrimSpace(u.GivenName + " " + u.FamilyName)},
			"isAdmin": u.IsAdmin, "suspended": u.Suspended, "archived": u.Archived, "orgUnitPath": u.OrgUnitPath,
		}
		m["etag"] = etag(m)
		out = append(out, m)
	}
	resp := map[string]any{"kind": "admin#directory#users", "etag": etag(out), "users": out}
	if next != "" {
		resp["nextPageToken"] = next
	}
	writeJSON(w, resp)
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	if !s.checkCustomer(w, r) {
		return
	}
	all := make([]*Group, 0, len(s.groups))
	for _, g := range s.groups {
		all = append(all, g)
	}
	slices.SortFunc(all, func(a, b *Group) int { return strings.Compare(a.Email, b.Email) })
	from, to, next, ok := s.page(w, r, len(all), 200, 200)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, g := range all[from:to] {
		m := map[string]any{"kind": "admin#directory#group", "id": g.ID, "email": g.Email, "name": g.Name,
			"description": g.Description, "directMembersCount": strconv.Itoa(len(s.members[g.ID]))}
		m["etag"] = etag(m)
		out = append(out, m)
	}
	resp := map[string]any{"kind": "admin#directory#groups", "etag": etag(out), "groups": out}
	if next != "" {
		resp["nextPageToken"] = next
	}
	writeJSON(w, resp)
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	var g *Group
	for _, c := range s.groups {
		if c.ID == key || strings.EqualFold(c.Email, key) {
			g = c
		}
	}
	if g == nil {
		apiError(w, http.StatusNotFound, "notFound", "global", "Resource Not Found: groupKey")
		return
	}
	ms := slices.Clone(s.members[g.ID])
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	from, to, next, ok := s.page(w, r, len(ms), 200, 200)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, m := range ms[from:to] {
		email := ""
		if u := s.users[m.ID]; u != nil {
			email = u.PrimaryEmail
		} else if mg := s.groups[m.ID]; mg != nil {
			email = mg.Email
		}
		mm := map[string]any{"kind": "admin#directory#member", "id": m.ID, "email": email, "role": "MEMBER", "type": m.Type, "status": "ACTIVE"}
		mm["etag"] = etag(mm)
		out = append(out, mm)
	}
	resp := map[string]any{"kind": "admin#directory#members", "etag": etag(out), "members": out}
	if next != "" {
		resp["nextPageToken"] = next
	}
	writeJSON(w, resp)
}
