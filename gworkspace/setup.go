package gworkspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// DirectoryOptions describes a Google Workspace directory to create.
type DirectoryOptions struct {
	// Name is shown to admins. Default "".
	Name string
	// Actor is recorded in the directory.created event. Default "system".
	Actor string
	// ID is the new directory's id. Default "": a random one. A caller
	// that retries a creation passes an id derived from its idempotency
	// key, so that the Store refuses a second directory
	// (store.ErrAlreadyExists) instead of creating one.
	ID string
}

// CreateDirectory creates an inactive Google Workspace directory (Provider
// "google") of the organization, with the directory.created event scimkit
// writes for its directories. Nothing reaches Google until the key and
// settings are stored and the directory is activated (its state, as for
// SCIM directories, is switched by scimkit or the Store).
func (s *Syncer) CreateDirectory(ctx context.Context, orgID string, opts DirectoryOptions) (*store.Directory, error) {
	if strings.TrimSpace(orgID) == "" {
		return nil, fmt.Errorf("gworkspace: organization id is required: %w", store.ErrInvalid)
	}
	name, actor, id := opts.Name, opts.Actor, opts.ID
	if actor == "" {
		actor = "system"
	}
	if id == "" {
		var err error
		if id, err = secret.NewID(s.cfg.Rand, "dir"); err != nil {
			return nil, err
		}
	}
	evID, err := secret.NewID(s.cfg.Rand, "evt")
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	d := &store.Directory{ID: id, OrgID: orgID, Provider: Provider, Name: name, State: store.DirectoryInactive, CreatedAt: now, UpdatedAt: now}
	data, _ := json.Marshal(scimkit.DirectoryData{ID: d.ID, OrganizationID: orgID, Provider: d.Provider, Name: d.Name, State: string(d.State)})
	ev := store.Event{ID: evID, Type: scimkit.EventDirectoryCreated, OrgID: orgID, Subject: id, Actor: actor, Data: data, CreatedAt: now}
	if err := s.st.CreateDirectory(ctx, d, ev); err != nil {
		return nil, err
	}
	return d, nil
}

// Settings are the parts of a Google directory's configuration that the IT
// admin chooses.
type Settings struct {
	// Customer is the Workspace customer id ("C0..."); "" means the
	// customer of the admin impersonated ("my_customer").
	Customer string
	// Domain, when set, limits the sync to one domain's users and groups.
	Domain string
	// AdminEmail is the administrator to impersonate. Required.
	AdminEmail string
	// SyncInterval is the time between syncs; 0 = Config.Interval. Values
	// under MinInterval are refused.
	SyncInterval time.Duration
}

// ErrInvalidSettings wraps the reason Configure refuses settings.
var ErrInvalidSettings = errors.New("gworkspace: invalid settings")

// Configure stores the settings of the directory, which must have Provider
// "google". The key, if any, is kept.
func (s *Syncer) Configure(ctx context.Context, directoryID string, set Settings) error {
	set.AdminEmail = strings.TrimSpace(set.AdminEmail)
	set.Customer = strings.TrimSpace(set.Customer)
	set.Domain = strings.ToLower(strings.TrimSpace(set.Domain))
	a, err := mail.ParseAddress(set.AdminEmail)
	if err != nil || a.Address != set.AdminEmail {
		return fmt.Errorf("%w: the admin email is not an email address", ErrInvalidSettings)
	}
	if set.SyncInterval != 0 && set.SyncInterval < MinInterval {
		return fmt.Errorf("%w: the sync interval is under %s", ErrInvalidSettings, MinInterval)
	}
	if strings.ContainsAny(set.Customer+set.Domain, " \t\r\n/?#&") {
		return fmt.Errorf("%w: the customer id or domain has characters they cannot have", ErrInvalidSettings)
	}
	if err := s.requireGoogle(ctx, directoryID); err != nil {
		return err
	}
	now := s.now().UTC()
	_, err = s.st.UpdateGoogleDirectory(ctx, directoryID, func(g *store.GoogleDirectory) ([]store.Event, error) {
		g.Customer, g.Domain, g.AdminEmail, g.SyncInterval, g.UpdatedAt = set.Customer, set.Domain, set.AdminEmail, set.SyncInterval, now
		return nil, nil
	})
	return err
}

func (s *Syncer) requireGoogle(ctx context.Context, directoryID string) error {
	d, err := s.st.GetDirectory(ctx, directoryID)
	if err != nil {
		return err
	}
	if d.Provider != Provider {
		return fmt.Errorf("gworkspace: directory %s has provider %q, not %q", directoryID, d.Provider, Provider)
	}
	return nil
}

// PutKey parses the service-account key file data (see ParseKey) and stores
// it, replacing any earlier key; the Store seals it at rest (see
// store/seal). The key is never returned; Status names its service account.
func (s *Syncer) PutKey(ctx context.Context, directoryID string, data []byte) (*ServiceAccountKey, error) {
	key, err := ParseKey(data)
	if err != nil {
		return nil, err
	}
	if err := s.requireGoogle(ctx, directoryID); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	_, err = s.st.UpdateGoogleDirectory(ctx, directoryID, func(g *store.GoogleDirectory) ([]store.Event, error) {
		g.Key, g.ClientEmail, g.ClientID, g.UpdatedAt = key.raw, key.ClientEmail, key.ClientID, now
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return &ServiceAccountKey{ClientEmail: key.ClientEmail, ClientID: key.ClientID, PrivateKeyID: key.PrivateKeyID, ProjectID: key.ProjectID}, nil
}

// Status is what the portal shows of a Google directory: never the key.
type Status struct {
	Customer, Domain, AdminEmail string
	ClientEmail, ClientID        string
	HasKey                       bool
	SyncInterval                 time.Duration // the interval in effect
	SyncRequested                bool
	Syncing                      bool // a sync was interrupted or is under way
	LastSyncAt, LastSuccessAt    time.Time
	LastError                    string
	LastStats                    *Stats
	NextSyncAt                   time.Time // zero when no sync is due by time
}

// Status returns the configuration and sync state of the directory.
// ErrNotFound when it has no Google configuration.
func (s *Syncer) Status(ctx context.Context, directoryID string) (*Status, error) {
	g, err := s.st.GetGoogleDirectory(ctx, directoryID)
	if err != nil {
		return nil, err
	}
	st := &Status{
		Customer: g.Customer, Domain: g.Domain, AdminEmail: g.AdminEmail, ClientEmail: g.ClientEmail, ClientID: g.ClientID,
		HasKey: len(g.Key) > 0, SyncInterval: s.interval(g), SyncRequested: !g.SyncRequestedAt.IsZero(),
		Syncing: len(g.Checkpoint) > 0, LastSyncAt: g.LastSyncAt, LastSuccessAt: g.LastSuccessAt, LastError: g.LastError,
	}
	if len(g.LastStats) > 0 {
		var stats Stats
		if json.Unmarshal(g.LastStats, &stats) == nil {
			st.LastStats = &stats
		}
	}
	if !g.LastSyncAt.IsZero() {
		st.NextSyncAt = g.LastSyncAt.Add(st.SyncInterval)
	}
	return st, nil
}

// SyncNow asks for a sync of the directory: Run starts it at its next poll.
// Asking again before it started changes nothing.
func (s *Syncer) SyncNow(ctx context.Context, directoryID string) error {
	now := s.now().UTC()
	_, err := s.st.UpdateGoogleDirectory(ctx, directoryID, func(g *store.GoogleDirectory) ([]store.Event, error) {
		if g.SyncRequestedAt.IsZero() {
			g.SyncRequestedAt = now
		}
		return nil, nil
	})
	return err
}

// TestResult is the outcome of a successful Test.
type TestResult struct {
	// User is the primary email of the first user Google listed, "" when
	// the directory has none.
	User string
	// APICalls is how many requests the test made.
	APICalls int64
}

// Test checks the directory's key and settings: it asks Google for a token
// with the sync's scopes, then lists one user. On a refusal it returns an
// *APIError whose Cause names the precise failure; when the token endpoint
// answers unauthorized_client it asks again for each scope on its own, so
// as to tell delegation missing (no scope is granted) from scopes missing
// (Detail lists those that are not).
func (s *Syncer) Test(ctx context.Context, directoryID string) (*TestResult, error) {
	g, key, c, err := s.connect(ctx, directoryID)
	if err != nil {
		return nil, err
	}
	call := c.svc.Users.List().MaxResults(1).Fields("users(primaryEmail)").Context(ctx)
	if g.Domain != "" {
		call = call.Domain(g.Domain)
	} else if g.Customer != "" {
		call = call.Customer(g.Customer)
	} else {
		call = call.Customer("my_customer")
	}
	page, err := call.Do()
	if err != nil {
		err = diagnose(err)
		var ae *APIError
		if errors.As(err, &ae) && ae.Cause == CauseDelegationMissing {
			missing, merr := s.missingScopes(ctx, key, g.AdminEmail)
			if merr == nil && len(missing) < len(Scopes) {
				ae.Cause, ae.Detail = CauseScopeMissing, strings.Join(missing, " ")
			}
		}
		return nil, err
	}
	res := &TestResult{APICalls: c.calls.Load()}
	if len(page.Users) > 0 {
		res.User = page.Users[0].PrimaryEmail
	}
	return res, nil
}

// missingScopes asks the token endpoint for a token for each scope alone
// and returns those refused with unauthorized_client.
func (s *Syncer) missingScopes(ctx context.Context, key *ServiceAccountKey, adminEmail string) ([]string, error) {
	var missing []string
	for _, scope := range Scopes {
		_, err := s.tokenSource(ctx, key, adminEmail, []string{scope}, nil).Token()
		var ae *APIError
		if errors.As(diagnose(err), &ae) && ae.Cause == CauseDelegationMissing {
			missing = append(missing, scope)
		}
	}
	return missing, nil
}
