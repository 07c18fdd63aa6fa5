package admin

import (
	"context"
	"io"

	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/store"
)

// GoogleDirectories syncs Google Workspace directories: pass the
// *gworkspace.Syncer, or a wrapper of it.
type GoogleDirectories interface {
	CreateDirectory(ctx context.Context, orgID string, opts gworkspace.DirectoryOptions) (*store.Directory, error)
	Configure(ctx context.Context, directoryID string, set gworkspace.Settings) error
	PutKey(ctx context.Context, directoryID string, keyFile []byte) (*gworkspace.ServiceAccountKey, error)
	Test(ctx context.Context, directoryID string) (*gworkspace.TestResult, error)
	SyncNow(ctx context.Context, directoryID string) error
	Status(ctx context.Context, directoryID string) (*gworkspace.Status, error)
}

var _ GoogleDirectories = (*gworkspace.Syncer)(nil)

// GoogleEnabled reports whether Config.Google is set: Google Workspace
// directories sync through the Admin SDK rather than SCIM.
func (a *Admin) GoogleEnabled() bool { return a.cfg.Google != nil }

func (a *Admin) google() (GoogleDirectories, error) {
	if a.cfg.Google == nil {
		return nil, notConfigured("Google Workspace sync (Config.Google)")
	}
	return a.cfg.Google, nil
}

// CreateGoogleDirectory creates an inactive Google Workspace directory of
// the organization through Config.Google: CreateDirectory with provider
// "google".
func (a *Admin) CreateGoogleDirectory(ctx context.Context, orgID, name, actor string) (*store.Directory, error) {
	if _, err := a.google(); err != nil {
		return nil, err
	}
	nd, err := a.CreateDirectory(ctx, orgID, DirectoryInput{Provider: gworkspace.Provider, Name: name}, actor)
	if err != nil {
		return nil, err
	}
	return &nd.Directory, nil
}

// ConfigureGoogleDirectory stores the settings of a Google directory.
func (a *Admin) ConfigureGoogleDirectory(ctx context.Context, id string, set gworkspace.Settings) error {
	g, err := a.google()
	if err != nil {
		return err
	}
	return g.Configure(ctx, id, set)
}

// PutGoogleKey stores the service-account key file of a Google directory,
// sealed, replacing an earlier one. It returns the key's service account,
// never the key.
func (a *Admin) PutGoogleKey(ctx context.Context, id string, keyFile io.Reader) (*gworkspace.ServiceAccountKey, error) {
	g, err := a.google()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(keyFile, gworkspace.MaxKeySize+1))
	if err != nil {
		return nil, err
	}
	return g.PutKey(ctx, id, data)
}

// TestGoogleDirectory lists one user of a Google directory, or returns the
// *gworkspace.APIError that names the failure.
func (a *Admin) TestGoogleDirectory(ctx context.Context, id string) (*gworkspace.TestResult, error) {
	g, err := a.google()
	if err != nil {
		return nil, err
	}
	return g.Test(ctx, id)
}

// SyncGoogleDirectoryNow asks for a sync of a Google directory.
func (a *Admin) SyncGoogleDirectoryNow(ctx context.Context, id string) error {
	g, err := a.google()
	if err != nil {
		return err
	}
	return g.SyncNow(ctx, id)
}

// GoogleDirectoryStatus returns the settings and last sync of a Google
// directory (never its key); store.ErrNotFound before any was stored.
func (a *Admin) GoogleDirectoryStatus(ctx context.Context, id string) (*gworkspace.Status, error) {
	g, err := a.google()
	if err != nil {
		return nil, err
	}
	return g.Status(ctx, id)
}

// afterEnable asks for the first sync of a Google directory just enabled.
func (a *Admin) afterEnable(ctx context.Context, d *store.Directory) {
	if d == nil || d.Provider != gworkspace.Provider || a.cfg.Google == nil {
		return
	}
	if err := a.cfg.Google.SyncNow(ctx, d.ID); err != nil {
		a.log.WarnContext(ctx, "admin: asking for a Google sync", "directory_id", d.ID, "error", err)
	}
}
