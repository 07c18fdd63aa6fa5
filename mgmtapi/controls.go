package mgmtapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// IdempotencyKeyHeader makes a creation safe to retry: a second request
// with the same key (by the same API key) answers with what the first one
// created, with the header Idempotent-Replayed: true, and creates nothing.
const IdempotencyKeyHeader = "Idempotency-Key"

// Request bodies. Unknown fields are refused.
type (
	orgIn struct {
		Name       string `json:"name"`
		ExternalID string `json:"external_id,omitempty"`
	}
	orgUpdateIn struct {
		Name       *string `json:"name,omitempty"`
		ExternalID *string `json:"external_id,omitempty"`
	}
	linkIn struct {
		Features []store.Feature `json:"features,omitempty"`
		Embedded bool            `json:"embedded,omitempty"`
	}
	endSessionsIn struct {
		UserID string `json:"user_id,omitempty"`
	}
	domainIn struct {
		Name   string             `json:"name"`
		Method store.DomainMethod `json:"method,omitempty"`
	}
	brandingIn struct {
		AccentColor   *string `json:"accent_color,omitempty"`
		Logo          []byte  `json:"logo,omitempty"`
		Favicon       []byte  `json:"favicon,omitempty"`
		RemoveLogo    bool    `json:"remove_logo,omitempty"`
		RemoveFavicon bool    `json:"remove_favicon,omitempty"`
	}
	rolesIn struct {
		Mappings []admin.RoleMappingInput `json:"mappings"`
	}
	policyIn struct {
		SignIn         *string `json:"sign_in,omitempty"`
		OutsideDomains *string `json:"outside_domains,omitempty"`
		Deprovision    *string `json:"deprovision,omitempty"`
	}
	connectionIn struct {
		Protocol store.Protocol `json:"protocol"`
		Provider string         `json:"provider,omitempty"`
		Name     string         `json:"name,omitempty"`
	}
	metadataURLIn struct {
		MetadataURL string `json:"metadata_url"`
	}
	metadataXMLIn struct {
		MetadataXML string `json:"metadata_xml"`
	}
	samlManualIn struct {
		EntityID     string   `json:"entity_id"`
		SSOURL       string   `json:"sso_url"`
		SLOURL       string   `json:"slo_url,omitempty"`
		Certificates []string `json:"certificates"`
	}
	oidcIn struct {
		Issuer   string `json:"issuer"`
		ClientID string `json:"client_id"`
		// ClientSecret "" keeps the stored one.
		ClientSecret string   `json:"client_secret,omitempty"`
		Scopes       []string `json:"scopes,omitempty"`
		TenantID     string   `json:"tenant_id,omitempty"`
	}
	mappingIn struct {
		Mapping map[string]string `json:"mapping"`
	}
	// securityIn replaces every option: an absent one is switched off.
	securityIn struct {
		SignRequests              bool `json:"sign_requests,omitempty"`
		RequireEncryptedAssertion bool `json:"require_encrypted_assertion,omitempty"`
		InsecureAllowIdPInitiated bool `json:"insecure_allow_idp_initiated,omitempty"`
		InsecureAllowSHA1         bool `json:"insecure_allow_sha1,omitempty"`
		InsecureClockSkewSeconds  int  `json:"insecure_clock_skew_seconds,omitempty"`
	}
	testLinkIn struct {
		ReturnTo string `json:"return_to,omitempty"`
	}
	directoryIn struct {
		Provider string `json:"provider"`
		Name     string `json:"name,omitempty"`
	}
	tokenIn struct {
		ExpiresAt *time.Time `json:"expires_at,omitempty"`
	}
	googleSettingsIn struct {
		AdminEmail          string `json:"admin_email"`
		Customer            string `json:"customer,omitempty"`
		Domain              string `json:"domain,omitempty"`
		SyncIntervalSeconds int    `json:"sync_interval_seconds,omitempty"`
	}
	googleKeyIn struct {
		// KeyFile is the service-account key file's JSON, as a string.
		KeyFile string `json:"key_file"`
	}
)

// Answers.
type (
	connectionJSON struct {
		ID               string                `json:"id"`
		OrgID            string                `json:"org_id"`
		Protocol         store.Protocol        `json:"protocol"`
		Provider         string                `json:"provider"`
		Name             string                `json:"name"`
		State            store.ConnectionState `json:"state"`
		IdPEntityID      string                `json:"idp_entity_id,omitempty"`
		Issuer           string                `json:"issuer,omitempty"`
		SAML             *samlJSON             `json:"saml,omitempty"`
		OIDC             *oidcJSON             `json:"oidc,omitempty"`
		AttributeMapping map[string]string     `json:"attribute_mapping"`
		Security         securityJSON          `json:"security"`
		ServiceProvider  spJSON                `json:"service_provider"`
		TestedAt         *time.Time            `json:"tested_at,omitempty"`
		CreatedAt        *time.Time            `json:"created_at,omitempty"`
		UpdatedAt        *time.Time            `json:"updated_at,omitempty"`
	}
	samlJSON struct {
		MetadataURL       string     `json:"metadata_url,omitempty"`
		MetadataFetchedAt *time.Time `json:"metadata_fetched_at,omitempty"`
		SSOURL            string     `json:"sso_url,omitempty"`
		SLOURL            string     `json:"slo_url,omitempty"`
		Certificates      int        `json:"certificates"`
	}
	oidcJSON struct {
		ClientID        string   `json:"client_id,omitempty"`
		ClientSecretSet bool     `json:"client_secret_set"`
		Scopes          []string `json:"scopes"`
		TenantID        string   `json:"tenant_id,omitempty"`
	}
	// securityJSON shows every option; clock_skew_seconds is the
	// tolerance in effect.
	securityJSON struct {
		SignRequests              bool `json:"sign_requests"`
		RequireEncryptedAssertion bool `json:"require_encrypted_assertion"`
		InsecureAllowIdPInitiated bool `json:"insecure_allow_idp_initiated"`
		InsecureAllowSHA1         bool `json:"insecure_allow_sha1"`
		InsecureClockSkewSeconds  int  `json:"insecure_clock_skew_seconds"`
		ClockSkewSeconds          int  `json:"clock_skew_seconds"`
	}
	spJSON struct {
		EntityID    string `json:"entity_id,omitempty"`
		ACSURL      string `json:"acs_url,omitempty"`
		SLOURL      string `json:"slo_url,omitempty"`
		RedirectURI string `json:"redirect_uri,omitempty"`
	}
	testLinkJSON struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
		After     int64     `json:"after"`
	}
	testResultJSON struct {
		// Status is "pending" (no outcome yet), "passed" or "failed".
		Status     string              `json:"status"`
		State      string              `json:"state,omitempty"`
		Subject    string              `json:"subject,omitempty"`
		Email      string              `json:"email,omitempty"`
		Attributes map[string][]string `json:"attributes,omitempty"`
		Reason     string              `json:"reason,omitempty"`
		Detail     string              `json:"detail,omitempty"`
	}
	tokenJSON struct {
		ID         string     `json:"id"`
		Hint       string     `json:"hint"`
		Active     bool       `json:"active"`
		CreatedAt  *time.Time `json:"created_at,omitempty"`
		ExpiresAt  *time.Time `json:"expires_at,omitempty"`
		RevokedAt  *time.Time `json:"revoked_at,omitempty"`
		LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	}
	newTokenJSON struct {
		tokenJSON
		// Token is the secret, shown once; absent on a replay.
		Token string `json:"token,omitempty"`
	}
	newDirectoryJSON struct {
		Directory directoryJSON `json:"directory"`
		Endpoint  string        `json:"endpoint,omitempty"`
		Token     *newTokenJSON `json:"token,omitempty"`
	}
	googleStatusJSON struct {
		AdminEmail          string     `json:"admin_email,omitempty"`
		Customer            string     `json:"customer,omitempty"`
		Domain              string     `json:"domain,omitempty"`
		ServiceAccount      string     `json:"service_account,omitempty"`
		ClientID            string     `json:"client_id,omitempty"`
		HasKey              bool       `json:"has_key"`
		SyncIntervalSeconds int        `json:"sync_interval_seconds"`
		SyncRequested       bool       `json:"sync_requested"`
		Syncing             bool       `json:"syncing"`
		LastSyncAt          *time.Time `json:"last_sync_at,omitempty"`
		LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
		LastError           string     `json:"last_error,omitempty"`
		NextSyncAt          *time.Time `json:"next_sync_at,omitempty"`
	}
	googleTestJSON struct {
		User     string `json:"user,omitempty"`
		APICalls int64  `json:"api_calls"`
	}
)

func toSecurityJSON(info *admin.ConnectionInfo) securityJSON {
	s := info.Security
	return securityJSON{SignRequests: s.SignRequests, RequireEncryptedAssertion: s.RequireEncryptedAssertion,
		InsecureAllowIdPInitiated: s.InsecureAllowIdPInitiated, InsecureAllowSHA1: s.InsecureAllowSHA1,
		InsecureClockSkewSeconds: int(s.InsecureClockSkew / time.Second), ClockSkewSeconds: int(info.ClockSkew / time.Second)}
}

func toConnectionJSON(info *admin.ConnectionInfo) connectionJSON {
	c := &info.Connection
	sp := info.ServiceProvider
	out := connectionJSON{ID: c.ID, OrgID: c.OrgID, Protocol: c.Protocol, Provider: c.Provider, Name: c.Name, State: c.State,
		AttributeMapping: c.AttributeMapping, Security: toSecurityJSON(info),
		ServiceProvider: spJSON{EntityID: sp.EntityID, ACSURL: sp.ACSURL, SLOURL: sp.SLOURL, RedirectURI: sp.RedirectURL},
		TestedAt:        optTime(c.TestedAt), CreatedAt: optTime(c.CreatedAt), UpdatedAt: optTime(c.UpdatedAt)}
	if out.AttributeMapping == nil {
		out.AttributeMapping = map[string]string{}
	}
	if s := c.SAML; s != nil {
		out.IdPEntityID = s.IdPEntityID
		out.SAML = &samlJSON{MetadataURL: s.MetadataURL, MetadataFetchedAt: optTime(s.MetadataFetchedAt), SSOURL: s.SSOURL, SLOURL: s.SLOURL, Certificates: len(s.Certificates)}
	}
	if o := c.OIDC; o != nil {
		out.Issuer = o.Issuer
		out.OIDC = &oidcJSON{ClientID: o.ClientID, ClientSecretSet: info.ClientSecretSet, Scopes: append([]string{}, o.Scopes...), TenantID: o.TenantID}
	}
	return out
}

// connJSON describes a connection an operation returned.
func (m *API) connJSON(c *store.Connection) connectionJSON {
	info := m.a.ConnectionInfo(c)
	return toConnectionJSON(&info)
}

func toTokenJSON(t *store.DirectoryToken, now time.Time) tokenJSON {
	return tokenJSON{ID: t.ID, Hint: t.Hint, Active: t.ActiveAt(now), CreatedAt: optTime(t.CreatedAt), ExpiresAt: optTime(t.ExpiresAt),
		RevokedAt: optTime(t.RevokedAt), LastUsedAt: optTime(t.LastUsedAt)}
}

// maxIdempotencyKey is the longest Idempotency-Key header.
const maxIdempotencyKey = 200

// idempotencyKey is the request's Idempotency-Key, scoped to the API key
// that sent it: two clients choosing the same key do not see each other's
// creations.
func idempotencyKey(r *http.Request, actor string) (string, error) {
	k := r.Header.Get(IdempotencyKeyHeader)
	switch {
	case k == "":
		return "", nil
	case len(k) > maxIdempotencyKey:
		return "", invalidInput("Idempotency-Key", "the Idempotency-Key header must be at most %d characters", maxIdempotencyKey)
	}
	return actor + ":" + k, nil
}

func markReplayed(w http.ResponseWriter, replayed bool) {
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
}

// connectionOp decodes the body into a value of type T and applies fn to
// the connection {id}, answering with the connection.
func connectionOp[T any](fn func(r *http.Request, id string, in T, actor string) (*admin.ConnectionInfo, error)) endpoint {
	return func(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
		var in T
		if err := decodeBody(r, &in); err != nil {
			return 0, nil, err
		}
		info, err := fn(r, r.PathValue("id"), in, actor)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, toConnectionJSON(info), nil
	}
}

func (m *API) createConnection(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in connectionIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	key, err := idempotencyKey(r, actor)
	if err != nil {
		return 0, nil, err
	}
	info, err := m.a.CreateConnection(r.Context(), r.PathValue("id"), admin.ConnectionInput{Protocol: in.Protocol, Provider: in.Provider, Name: in.Name,
		IdempotencyKey: key}, actor)
	if err != nil {
		return 0, nil, err
	}
	markReplayed(w, info.Replayed)
	return http.StatusCreated, toConnectionJSON(info), nil
}

func (m *API) getConnection(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	info, err := m.a.GetConnection(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toConnectionJSON(info), nil
}

func (m *API) deleteConnection(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	if err := m.a.DeleteConnection(r.Context(), r.PathValue("id"), actor); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (m *API) configureMetadataURL(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	return connectionOp(func(r *http.Request, id string, in metadataURLIn, actor string) (*admin.ConnectionInfo, error) {
		return m.a.ConfigureSAMLMetadataURL(r.Context(), id, in.MetadataURL, actor)
	})(w, r, actor)
}

func (m *API) configureMetadataXML(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	return connectionOp(func(r *http.Request, id string, in metadataXMLIn, actor string) (*admin.ConnectionInfo, error) {
		return m.a.ConfigureSAMLMetadataXML(r.Context(), id, []byte(in.MetadataXML), actor)
	})(w, r, actor)
}

func (m *API) configureManual(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	return connectionOp(func(r *http.Request, id string, in samlManualIn, actor string) (*admin.ConnectionInfo, error) {
		return m.a.ConfigureSAMLManual(r.Context(), id, ssokit.SAMLManual{EntityID: in.EntityID, SSOURL: in.SSOURL, SLOURL: in.SLOURL, Certificates: in.Certificates}, actor)
	})(w, r, actor)
}

func (m *API) configureOIDC(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	return connectionOp(func(r *http.Request, id string, in oidcIn, actor string) (*admin.ConnectionInfo, error) {
		return m.a.ConfigureOIDC(r.Context(), id, ssokit.OIDCSettings(in), actor)
	})(w, r, actor)
}

func (m *API) setMapping(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	return connectionOp(func(r *http.Request, id string, in mappingIn, actor string) (*admin.ConnectionInfo, error) {
		return m.a.SetConnectionMapping(r.Context(), id, in.Mapping, actor)
	})(w, r, actor)
}

func (m *API) setSecurity(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	return connectionOp(func(r *http.Request, id string, in securityIn, actor string) (*admin.ConnectionInfo, error) {
		if in.InsecureClockSkewSeconds < 0 || in.InsecureClockSkewSeconds > int(ssokit.MaxClockSkew/time.Second) {
			return nil, invalidInput("insecure_clock_skew_seconds", "insecure_clock_skew_seconds must be between 0 and %d", int(ssokit.MaxClockSkew/time.Second))
		}
		return m.a.SetSecurityOptions(r.Context(), id, admin.SecurityOptions{SignRequests: in.SignRequests, RequireEncryptedAssertion: in.RequireEncryptedAssertion,
			InsecureAllowIdPInitiated: in.InsecureAllowIdPInitiated, InsecureAllowSHA1: in.InsecureAllowSHA1,
			InsecureClockSkew: time.Duration(in.InsecureClockSkewSeconds) * time.Second}, actor)
	})(w, r, actor)
}

func (m *API) createTestLink(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	var in testLinkIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	l, err := m.a.CreateTestLink(r.Context(), r.PathValue("id"), admin.TestLinkOptions{ReturnTo: in.ReturnTo})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, testLinkJSON{URL: l.URL, ExpiresAt: l.ExpiresAt.UTC(), After: l.After}, nil
}

func (m *API) testResult(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	after, err := queryInt(r, "after")
	if err != nil {
		return 0, nil, err
	}
	res, err := m.a.TestResult(r.Context(), r.PathValue("id"), after)
	if err != nil {
		return 0, nil, err
	}
	out := testResultJSON{Status: "pending"}
	switch {
	case res == nil:
	case res.Err != nil:
		out.Status = "failed"
		var le *ssokit.LoginError
		if errors.As(res.Err, &le) {
			out.Reason, out.Detail = string(le.Reason), le.Detail
		}
	default:
		out.Status, out.State = "passed", string(res.State)
		if p := res.Profile; p != nil {
			out.Subject, out.Email, out.Attributes = p.Subject, p.Email, p.Attributes
		}
	}
	return http.StatusOK, out, nil
}

func (m *API) createDirectory(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in directoryIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	key, err := idempotencyKey(r, actor)
	if err != nil {
		return 0, nil, err
	}
	nd, err := m.a.CreateDirectory(r.Context(), r.PathValue("id"), admin.DirectoryInput{Provider: in.Provider, Name: in.Name,
		IdempotencyKey: key}, actor)
	if err != nil {
		return 0, nil, err
	}
	markReplayed(w, nd.Replayed)
	out := newDirectoryJSON{Directory: directoryOnly(&nd.Directory), Endpoint: nd.Endpoint}
	if nd.TokenInfo != nil {
		out.Token = &newTokenJSON{tokenJSON: toTokenJSON(nd.TokenInfo, time.Now()), Token: nd.Token}
	}
	return http.StatusCreated, out, nil
}

func (m *API) getDirectory(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	dd, err := m.a.GetDirectory(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := toDirectoryJSON(&dd.DirectoryInfo)
	out.Endpoint = dd.Endpoint
	out.Tokens = tokensJSON(dd.Tokens)
	return http.StatusOK, out, nil
}

func tokensJSON(toks []store.DirectoryToken) []tokenJSON {
	out := make([]tokenJSON, 0, len(toks))
	now := time.Now()
	for i := range toks {
		out = append(out, toTokenJSON(&toks[i], now))
	}
	return out
}

func (m *API) listTokens(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	toks, err := m.a.ListDirectoryTokens(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, tokenListJSON{Tokens: tokensJSON(toks)}, nil
}

func (m *API) createToken(w http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in tokenIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	key, err := idempotencyKey(r, actor)
	if err != nil {
		return 0, nil, err
	}
	ti := admin.TokenInput{IdempotencyKey: key}
	if in.ExpiresAt != nil {
		ti.ExpiresAt = *in.ExpiresAt
	}
	nt, err := m.a.CreateDirectoryToken(r.Context(), r.PathValue("id"), ti, actor)
	if err != nil {
		return 0, nil, err
	}
	markReplayed(w, nt.Replayed)
	return http.StatusCreated, newTokenJSON{tokenJSON: toTokenJSON(&nt.TokenInfo, time.Now()), Token: nt.Token}, nil
}

func (m *API) revokeToken(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	if err := m.a.RevokeDirectoryToken(r.Context(), r.PathValue("id"), r.PathValue("token"), actor); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// googleError turns the Google syncer's refusals into the service's
// errors.
func googleError(err error, id string) error {
	var ae *admin.AdminError
	switch {
	case err == nil, errors.As(err, &ae):
		return err
	case errors.Is(err, store.ErrNotFound):
		return &admin.AdminError{Kind: admin.ErrNotFound, Message: "directory \"" + id + "\" has no Google Workspace configuration", Err: err}
	case errors.Is(err, gworkspace.ErrInvalidSettings):
		return invalidInput("settings", "%s", strings.TrimPrefix(err.Error(), gworkspace.ErrInvalidSettings.Error()+": "))
	case errors.Is(err, gworkspace.ErrBadKey):
		return invalidInput("key_file", "this is not a service-account key file: download a JSON key of the service account")
	}
	var apiErr *gworkspace.APIError
	if errors.As(err, &apiErr) {
		return &admin.AdminError{Kind: admin.ErrConflict, Message: "Google refused: " + apiErr.Error(), Err: err}
	}
	return err
}

func (m *API) googleStatus(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	id := r.PathValue("id")
	st, err := m.a.GoogleDirectoryStatus(r.Context(), id)
	if err != nil {
		return 0, nil, googleError(err, id)
	}
	return http.StatusOK, toGoogleJSON(st), nil
}

func toGoogleJSON(st *gworkspace.Status) googleStatusJSON {
	return googleStatusJSON{AdminEmail: st.AdminEmail, Customer: st.Customer, Domain: st.Domain, ServiceAccount: st.ClientEmail, ClientID: st.ClientID,
		HasKey: st.HasKey, SyncIntervalSeconds: int(st.SyncInterval / time.Second), SyncRequested: st.SyncRequested, Syncing: st.Syncing,
		LastSyncAt: optTime(st.LastSyncAt), LastSuccessAt: optTime(st.LastSuccessAt), LastError: st.LastError, NextSyncAt: optTime(st.NextSyncAt)}
}

// googleThenStatus runs fn on the Google directory {id}, then answers
// status with its state.
func (m *API) googleThenStatus(r *http.Request, status int, fn func(id string) error) (int, any, error) {
	id := r.PathValue("id")
	if err := fn(id); err != nil {
		return 0, nil, googleError(err, id)
	}
	st, err := m.a.GoogleDirectoryStatus(r.Context(), id)
	if err != nil {
		return 0, nil, googleError(err, id)
	}
	return status, toGoogleJSON(st), nil
}

func (m *API) googleConfigure(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	var in googleSettingsIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	return m.googleThenStatus(r, http.StatusOK, func(id string) error {
		return m.a.ConfigureGoogleDirectory(r.Context(), id, gworkspace.Settings{AdminEmail: in.AdminEmail, Customer: in.Customer, Domain: in.Domain,
			SyncInterval: time.Duration(in.SyncIntervalSeconds) * time.Second})
	})
}

func (m *API) googlePutKey(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	var in googleKeyIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	return m.googleThenStatus(r, http.StatusOK, func(id string) error {
		_, err := m.a.PutGoogleKey(r.Context(), id, strings.NewReader(in.KeyFile))
		return err
	})
}

func (m *API) googleTest(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	id := r.PathValue("id")
	res, err := m.a.TestGoogleDirectory(r.Context(), id)
	if err != nil {
		return 0, nil, googleError(err, id)
	}
	return http.StatusOK, googleTestJSON{User: res.User, APICalls: res.APICalls}, nil
}

func (m *API) googleSync(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	return m.googleThenStatus(r, http.StatusAccepted, func(id string) error { return m.a.SyncGoogleDirectoryNow(r.Context(), id) })
}
