package gworkspace

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/onboardkit/onboardkit/health"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
)

// Provider is the Directory.Provider of a Google Workspace directory.
const Provider = "google"

// Scopes are the read-only OAuth scopes the sync uses. The customer's
// administrator grants exactly these to the service account's client id
// under domain-wide delegation.
var Scopes = []string{ScopeUser, ScopeGroup, ScopeMember}
var _ = []string{
	"https://www.googleapis.com/auth/admin.directory.user.readonly",
	"https://www.googleapis.com/auth/admin.directory.group.readonly",
	"https://www.googleapis.com/auth/admin.directory.group.member.readonly",
}

// Defaults and bounds of Config.
const (
	DefaultInterval = 15 * time.Minute
	MinInterval     = time.Minute
	DefaultEndpoint = "https://admin.googleapis.com/"
	DefaultTokenURL = "https://oauth2.googleapis.com/token"
	MaxUserPage     = 500 // the Directory API's largest users page
	MaxGroupPage    = 200 // and groups and members page
)

// Store is the part of a store.Store that the sync uses. Every store.Store
// is a Store.
type Store interface {
	GetDirectory(ctx context.Context, id string) (*store.Directory, error)
	CreateDirectory(ctx context.Context, d *store.Directory, events ...store.Event) error
	GetVerifiedDomain(ctx context.Context, name string) (*store.Domain, error)
	CreateDirectoryUser(ctx context.Context, u *store.DirectoryUser, events ...store.Event) error
	ListDirectoryUsers(ctx context.Context, directoryID string, q store.UserQuery) ([]store.DirectoryUser, int, error)
	UpdateDirectoryUser(ctx context.Context, directoryID, id string, fn func(*store.DirectoryUser) ([]store.Event, error)) (*store.DirectoryUser, error)
	DeleteDirectoryUser(ctx context.Context, directoryID, id string, events func(u *store.DirectoryUser, groupIDs []string) []store.Event) error
	CreateDirectoryGroup(ctx context.Context, g *store.DirectoryGroup, ops []store.MemberOp, events store.GroupEvents) error
	ListDirectoryGroups(ctx context.Context, directoryID string, q store.GroupQuery) ([]store.DirectoryGroup, int, error)
	UpdateDirectoryGroup(ctx context.Context, directoryID, id string, fn func(*store.DirectoryGroup) ([]store.MemberOp, error), events store.GroupEvents) (*store.DirectoryGroup, error)
	DeleteDirectoryGroup(ctx context.Context, directoryID, id string, events store.GroupEvents) error
	ListGroupMembers(ctx context.Context, directoryID, groupID string) ([]store.Member, error)
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
	store.GoogleDirectoryStore
}

var _ Store = store.Store(nil)

// Config configures a Syncer.
type Config struct {
	// Store holds the directories, their Google configuration and what
	// the sync writes. Required.
	Store Store

	// HTTPClient makes the calls to Google's token endpoint and Directory
	// API. Default: a client with a 30-second timeout.
	HTTPClient *http.Client

	// Endpoint is the base URL of the Directory API. Default
	// DefaultEndpoint; tests point it at a gwsim server.
	Endpoint string

	// TokenURL is the OAuth token endpoint of the JWT-bearer grant.
	// Default DefaultTokenURL.
	TokenURL string

	// Interval is the default time between periodic syncs of a directory;
	// a directory's own SyncInterval overrides it. Default DefaultInterval;
	// values under MinInterval are raised to it.
	Interval time.Duration

	// PollInterval is how often Run looks for directories that are due.
	// Default 30 seconds.
	PollInterval time.Duration

	// Concurrency bounds the Directory API calls one sync makes at once.
	// Default 4.
	Concurrency int

	// PageSize is the users page size (at most MaxUserPage); groups and
	// members pages are at most MaxGroupPage. Default the maximum.
	PageSize int

	// MaxRetries is how many times a call answered 429 or 5xx is retried,
	// waiting as Retry-After says or backing off exponentially from one
	// second. Default 6.
	MaxRetries int

	// MaxRetryWait caps one wait between retries. Default one minute.
	MaxRetryWait time.Duration

	// LeaseDuration is how long a sync holds its directory's lease between
	// renewals (it renews after every page). Default two minutes.
	LeaseDuration time.Duration

	// Logger receives sync outcomes. Default slog.Default().
	Logger *slog.Logger

	// Now is the clock. Default time.Now.
	Now func() time.Time

	// Rand is the source of event ids and lease holder names. Default
	// crypto/rand.
	Rand io.Reader
}

// A Syncer syncs Google Workspace directories into the Store.
type Syncer struct {
	beat   health.Beat
	cfg    Config
	st     Store
	holder string
	now    func() time.Time
	log    *slog.Logger
	sleep  func(ctx context.Context, d time.Duration) error
}

// New validates cfg and returns a Syncer.
func New(cfg Config) (*Syncer, error) {
	if cfg.Store == nil {
		return nil, errors.New("gworkspace: Config.Store is required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.Endpoint[len(cfg.Endpoint)-1] != '/' {
		cfg.Endpoint += "/"
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	cfg.Interval = max(cfg.Interval, MinInterval)
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 30 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.PageSize <= 0 || cfg.PageSize > MaxUserPage {
		cfg.PageSize = MaxUserPage
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 6
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = time.Minute
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	holder, err := secret.NewID(cfg.Rand, "gws")
	if err != nil {
		return nil, err
	}
	return &Syncer{
		cfg: cfg, st: cfg.Store, holder: holder, now: cfg.Now, log: cfg.Logger,
		sleep: sleepCtx,
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// interval is the sync interval of g.
func (s *Syncer) interval(g *store.GoogleDirectory) time.Duration {
	if g.SyncInterval > 0 {
		return max(g.SyncInterval, MinInterval)
	}
	return s.cfg.Interval
}

// The scopes of Scopes, by name.
const (
	ScopeUser   = "https://www.googleapis.com/auth/admin.directory.user.readonly"
	ScopeGroup  = "https://www.googleapis.com/auth/admin.directory.group.readonly"
	ScopeMember = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
)
