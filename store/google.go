package store

import (
	"context"
	"time"
)

// GoogleDirectory is the configuration and sync state of a directory whose
// Provider is "google": a Google Workspace directory read through the Admin
// SDK Directory API rather than pushed over SCIM. It belongs to the
// Directory with ID DirectoryID and is removed with it.
type GoogleDirectory struct {
	DirectoryID string
	// Customer is the Workspace customer id, "my_customer" when empty.
	Customer string
	// Domain, when set, limits the sync to the users of one domain.
	Domain string
	// AdminEmail is the administrator the service account impersonates.
	AdminEmail string
	// ClientEmail and ClientID name the service account of the key.
	ClientEmail string
	ClientID    string
	// Key is the service-account key (its JSON). The Store seals it at
	// rest under the host's keyring (see store/seal) and returns it opened.
	Key []byte
	// SyncInterval is the time between periodic syncs; 0 = the kit's default.
	SyncInterval time.Duration
	// SyncRequestedAt is when a sync was last asked for ("sync now"); a sync
	// that starts after it clears the request.
	SyncRequestedAt time.Time
	LastSyncAt      time.Time // when the last sync ended, either way
	LastSuccessAt   time.Time // when the last successful sync ended
	LastError       string    // the last sync's error, "" after a success
	// LastStats is the kit's summary of the last sync (opaque JSON).
	LastStats []byte
	// Checkpoint is where an unfinished sync resumes (opaque to the Store).
	Checkpoint []byte
	UpdatedAt  time.Time
}

// Validate checks a Google directory's configuration before it is written.
func (g *GoogleDirectory) Validate() error {
	if g == nil {
		return invalid("nil google directory")
	}
	if err := required("google directory", "directory id", g.DirectoryID); err != nil {
		return err
	}
	if err := lines("google directory", "customer", g.Customer, "domain", g.Domain,
		"admin email", g.AdminEmail, "client email", g.ClientEmail, "client id", g.ClientID); err != nil {
		return err
	}
	if g.SyncInterval < 0 {
		return invalid("google directory: negative sync interval")
	}
	return nil
}

// GoogleDirectoryStore keeps the configuration and sync state of Google
// Workspace directories.
type GoogleDirectoryStore interface {
	// GetGoogleDirectory returns the Google configuration of the directory,
	// or ErrNotFound when it has none (or the directory does not exist).
	GetGoogleDirectory(ctx context.Context, directoryID string) (*GoogleDirectory, error)

	// UpdateGoogleDirectory loads the Google configuration of the
	// directory, passes a copy to fn (&GoogleDirectory{DirectoryID:
	// directoryID} when it has none) and stores fn's changes with the
	// events fn returns, atomically. fn must not change DirectoryID.
	// ErrNotFound for an unknown directory; an error from fn aborts. The
	// stored configuration is returned.
	UpdateGoogleDirectory(ctx context.Context, directoryID string, fn func(*GoogleDirectory) ([]Event, error)) (*GoogleDirectory, error)

	// ListGoogleDirectories returns every Google configuration ordered by
	// DirectoryID.
	ListGoogleDirectories(ctx context.Context) ([]GoogleDirectory, error)
}
