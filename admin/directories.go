package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// DirectorySetup creates SCIM directories and their bearer tokens under
// the SCIM kit's rules: a *scimkit.Server is one. The service finds it on
// Config.Directories by type assertion; without it the operations below
// return ErrNotConfigured.
type DirectorySetup interface {
	DirectoryLifecycle
	CreateDirectory(ctx context.Context, orgID string, opts scimkit.DirectoryOptions) (*store.Directory, error)
	CreateToken(ctx context.Context, directoryID string, opts scimkit.TokenOptions) (string, *store.DirectoryToken, error)
	RevokeTokenAs(ctx context.Context, directoryID, tokenID, actor string) error
	// EndpointURL is the SCIM base URL the IdP is given.
	EndpointURL(directoryID string) string
}

var _ DirectorySetup = (*scimkit.Server)(nil)

// DirectoryProviders are the providers a directory may name, in the order
// a chooser shows them. "google" is synced through Config.Google when it
// is set, else through SCIM like the others.
func DirectoryProviders() []string {
	return []string{"okta", "entra", "google", "onelogin", "jumpcloud", "ping", "generic"}
}

// DirectoryInput is a new directory.
type DirectoryInput struct {
	// Provider is one of DirectoryProviders(). Required.
	Provider string
	// Name is shown to people; "" means "<provider> directory". At most
	// 100 characters.
	Name string
	// IdempotencyKey, when set, makes the creation safe to retry: a second
	// call with the same key for the same organization returns the
	// directory the first one created (NewDirectory.Replayed) and creates
	// nothing, not even a second token.
	IdempotencyKey string
}

// NewDirectory is a directory just created, with its first bearer token.
type NewDirectory struct {
	Directory store.Directory
	// Endpoint is the SCIM base URL to enter in the IdP; "" for a Google
	// Workspace directory synced through Config.Google.
	Endpoint string
	// Token is the first bearer token, shown once; "" for a Google
	// directory, and on a replay (the token was shown to the first call).
	Token string
	// TokenInfo describes that token (nil for a Google directory).
	TokenInfo *store.DirectoryToken
	// Replayed is set when an earlier call with the same idempotency key
	// created the directory.
	Replayed bool
}

// TokenInput is a new bearer token of a directory.
type TokenInput struct {
	// ExpiresAt is when the token stops working. Zero: never.
	ExpiresAt time.Time
	// IdempotencyKey, when set, makes the creation safe to retry: a second
	// call with the same key returns the token's description
	// (NewDirectoryToken.Replayed, without the secret) and creates nothing.
	IdempotencyKey string
}

// NewDirectoryToken is a bearer token just created.
type NewDirectoryToken struct {
	// Token is the secret ("okscim_..."), shown once; "" on a replay.
	Token string
	// TokenInfo describes it, without its digest.
	TokenInfo store.DirectoryToken
	// Replayed is set when an earlier call with the same idempotency key
	// created the token.
	Replayed bool
}

func (a *Admin) directorySetup() (DirectorySetup, error) {
	ds, ok := a.cfg.Directories.(DirectorySetup)
	if !ok {
		return nil, notConfigured("creating SCIM directories and tokens (Config.Directories: the *scimkit.Server)")
	}
	return ds, nil
}

func (a *Admin) loadDirectory(ctx context.Context, id string) (*store.Directory, error) {
	if strings.TrimSpace(id) == "" || len(id) > 200 {
		return nil, notFound("directory", id)
	}
	d, err := a.st.GetDirectory(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("directory", id)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading directory: %w", err)
	}
	return d, nil
}

// DirectoryDetail is a directory with its counts, its SCIM endpoint and
// its tokens.
type DirectoryDetail struct {
	DirectoryInfo
	// Endpoint is the SCIM base URL; "" for a directory synced through
	// Config.Google, or without Config.Directories.
	Endpoint string
	// Tokens are its bearer tokens, newest first, without digests.
	Tokens []store.DirectoryToken
}

// GetDirectory returns the directory id with its counts, endpoint and
// tokens. ErrNotFound when absent.
func (a *Admin) GetDirectory(ctx context.Context, id string) (*DirectoryDetail, error) {
	d, err := a.loadDirectory(ctx, id)
	if err != nil {
		return nil, err
	}
	infos, err := a.listDirectories(ctx, d.OrgID)
	if err != nil {
		return nil, err
	}
	out := &DirectoryDetail{DirectoryInfo: DirectoryInfo{Directory: *d}}
	for _, di := range infos {
		if di.Directory.ID == d.ID {
			out.DirectoryInfo = di
		}
	}
	if ds, err := a.directorySetup(); err == nil && !a.syncedByGoogle(d) {
		out.Endpoint = ds.EndpointURL(d.ID)
	}
	if out.Tokens, err = a.ListDirectoryTokens(ctx, id); err != nil {
		return nil, err
	}
	return out, nil
}

func (a *Admin) syncedByGoogle(d *store.Directory) bool {
	return d.Provider == gworkspace.Provider && a.cfg.Google != nil
}

// CreateDirectory creates an inactive directory of the organization. A
// SCIM directory gets its first bearer token, returned once; a Google
// Workspace directory (provider "google" with Config.Google set) is
// synced through the Admin SDK and has none. Enable it with
// EnableDirectory once the IdP is set up. See
// DirectoryInput.IdempotencyKey for retries.
func (a *Admin) CreateDirectory(ctx context.Context, orgID string, in DirectoryInput, actor string) (*NewDirectory, error) {
	if !slices.Contains(DirectoryProviders(), in.Provider) {
		return nil, invalidInput("provider", "choose one of the listed directory providers")
	}
	name := strings.TrimSpace(in.Name)
	if len([]rune(name)) > 100 {
		return nil, invalidInput("name", "the name must be at most 100 characters")
	}
	name, err := checkName("name", name, false)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = cmp.Or(ProviderName(in.Provider), "SCIM") + " directory"
	}
	google := in.Provider == gworkspace.Provider && a.cfg.Google != nil
	var ds DirectorySetup
	if !google {
		if ds, err = a.directorySetup(); err != nil {
			return nil, err
		}
	}
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	id, get, err := idempotentCreate(ctx, "dir", "directory", orgID, in.IdempotencyKey, a.st.GetDirectory, func(d *store.Directory) string { return d.OrgID })
	if err != nil {
		return nil, err
	}
	d, err := get()
	if err != nil {
		return nil, err
	}
	out := &NewDirectory{Replayed: d != nil}
	if d == nil {
		if google {
			d, err = a.cfg.Google.CreateDirectory(ctx, orgID, gworkspace.DirectoryOptions{ID: id, Name: name, Actor: actorOr(actor)})
		} else {
			d, err = ds.CreateDirectory(ctx, orgID, scimkit.DirectoryOptions{ID: id, Provider: in.Provider, Name: name, Actor: actorOr(actor)})
		}
		if id != "" && errors.Is(err, store.ErrAlreadyExists) {
			d, err = get()
			out.Replayed = d != nil
		}
		if err != nil {
			return nil, fmt.Errorf("admin: creating directory: %w", err)
		}
		if d == nil {
			return nil, fmt.Errorf("admin: creating directory: %w", store.ErrAlreadyExists)
		}
	}
	out.Directory = *d
	if google || a.syncedByGoogle(d) {
		return out, nil
	}
	out.Endpoint = ds.EndpointURL(d.ID)
	// The first token, under the same key, so that a retry after a failure
	// between the two writes still ends with exactly one.
	tokKey := ""
	if in.IdempotencyKey != "" {
		tokKey = "first"
	}
	nt, err := a.createToken(ctx, ds, d, TokenInput{IdempotencyKey: tokKey}, actor)
	if err != nil {
		return nil, err
	}
	out.Token, out.TokenInfo = nt.Token, &nt.TokenInfo
	return out, nil
}

// ProviderName is the name of an identity provider of
// ssokit.Providers() or DirectoryProviders(), such as "Microsoft Entra ID"
// for "entra"; "" for "generic" and for names it does not know.
func ProviderName(p string) string {
	switch p {
	case "okta":
		return "Okta"
	case "entra":
		return "Microsoft Entra ID"
	case "google":
		return "Google Workspace"
	case "onelogin":
		return "OneLogin"
	case "jumpcloud":
		return "JumpCloud"
	case "ping":
		return "Ping Identity"
	case "adfs":
		return "AD FS"
	}
	return ""
}

// ListDirectoryTokens returns the directory's bearer tokens, newest first,
// without their digests. ErrNotFound for an unknown directory.
func (a *Admin) ListDirectoryTokens(ctx context.Context, directoryID string) ([]store.DirectoryToken, error) {
	if _, err := a.loadDirectory(ctx, directoryID); err != nil {
		return nil, err
	}
	toks, err := a.st.ListDirectoryTokens(ctx, directoryID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing directory tokens: %w", err)
	}
	for i := range toks {
		toks[i].Digest = nil
	}
	return toks, nil
}

// CreateDirectoryToken creates a bearer token for the directory, returned
// once, with a directory.token.created event. This is also how a token is
// rotated: create the new one while the old one still works, give it to
// the IdP, then revoke the old one. At most two tokens are active at once:
// ErrConflict beyond. See TokenInput.IdempotencyKey for retries.
func (a *Admin) CreateDirectoryToken(ctx context.Context, directoryID string, in TokenInput, actor string) (*NewDirectoryToken, error) {
	ds, err := a.directorySetup()
	if err != nil {
		return nil, err
	}
	d, err := a.loadDirectory(ctx, directoryID)
	if err != nil {
		return nil, err
	}
	if a.syncedByGoogle(d) {
		return nil, conflict(nil, "directory %q is synced from Google Workspace and has no SCIM tokens", d.ID)
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(a.now()) {
		return nil, invalidInput("expires_at", "the expiry must be in the future")
	}
	return a.createToken(ctx, ds, d, in, actor)
}

func (a *Admin) createToken(ctx context.Context, ds DirectorySetup, d *store.Directory, in TokenInput, actor string) (*NewDirectoryToken, error) {
	id, err := idempotentID("dtok", d.ID, in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	get := func() (*NewDirectoryToken, error) {
		if id == "" {
			return nil, nil
		}
		toks, err := a.st.ListDirectoryTokens(ctx, d.ID)
		if err != nil {
			return nil, fmt.Errorf("admin: listing directory tokens: %w", err)
		}
		for _, t := range toks {
			if t.ID == id {
				t.Digest = nil
				return &NewDirectoryToken{TokenInfo: t, Replayed: true}, nil
			}
		}
		return nil, nil
	}
	if nt, err := get(); nt != nil || err != nil {
		return nt, err
	}
	plain, t, err := ds.CreateToken(ctx, d.ID, scimkit.TokenOptions{ID: id, ExpiresAt: in.ExpiresAt, Actor: actorOr(actor)})
	if err != nil && id != "" {
		// A concurrent call with the same key may have won (the Store then
		// refuses the id, or counts its token among the active ones).
		if nt, gerr := get(); nt != nil || gerr != nil {
			return nt, gerr
		}
	}
	switch {
	case errors.Is(err, scimkit.ErrTooManyTokens):
		return nil, conflict(err, "directory %q already has two active tokens: revoke the one its identity provider no longer uses first", d.ID)
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound("directory", d.ID)
	case err != nil:
		return nil, fmt.Errorf("admin: creating directory token: %w", err)
	}
	out := &NewDirectoryToken{Token: plain, TokenInfo: *t}
	out.TokenInfo.Digest = nil
	return out, nil
}

// RevokeDirectoryToken revokes a bearer token of the directory at once,
// with a directory.token.revoked event. Revoking a revoked token changes
// nothing. ErrNotFound when the directory has no such token.
func (a *Admin) RevokeDirectoryToken(ctx context.Context, directoryID, tokenID, actor string) error {
	ds, err := a.directorySetup()
	if err != nil {
		return err
	}
	if _, err := a.loadDirectory(ctx, directoryID); err != nil {
		return err
	}
	toks, err := a.st.ListDirectoryTokens(ctx, directoryID)
	if err != nil {
		return fmt.Errorf("admin: listing directory tokens: %w", err)
	}
	i := slices.IndexFunc(toks, func(t store.DirectoryToken) bool { return t.ID == tokenID })
	switch {
	case i < 0:
		return notFound("token", tokenID)
	case !toks[i].RevokedAt.IsZero():
		return nil
	}
	err = ds.RevokeTokenAs(ctx, directoryID, tokenID, actorOr(actor))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("token", tokenID)
	}
	if err != nil {
		return fmt.Errorf("admin: revoking directory token: %w", err)
	}
	return nil
}
