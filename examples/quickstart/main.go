package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/onboardkit/onboardkit/examples/internal/startup"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

func main() { startup.Main("quickstart", run) }

// run parses flags, opens the store, sets up the demo, prints the URLs a
// visitor needs to out and serves until ctx is done.
func run(ctx context.Context, args []string, out, logOut io.Writer) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (loopback only)")
	dbPath := fs.String("db", "onboardkit-quickstart.db", "SQLite database file")
	scimUnlimited := fs.Bool("scim-unlimited", false, "lift the SCIM per-directory request rate limit (for load tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))
	tp, err := newTracerProvider(os.Getenv(telemetryEnv), logOut)
	if err != nil {
		return err
	}
	if tp != nil {
		otel.SetTracerProvider(tp) // every kit's default TracerProvider
		defer tp.Shutdown(context.WithoutCancel(ctx))
	}

	ln, err := listenLoopback(*addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	baseURL := "http://" + ln.Addr().String()

	keys, err := startup.Keyring(*dbPath+".keys", logger)
	if err != nil {
		return err
	}
	st, err := sqlitestore.Open(ctx, *dbPath, sqlitestore.Options{Keyring: keys})
	if err != nil {
		return fmt.Errorf("opening the store %s: %w", *dbPath, err)
	}
	defer st.Close()

	secrets := secretsPath(*dbPath)
	cfg := appConfig{Store: st, BaseURL: baseURL, Logger: logger, SecretsPath: secrets}
	if *scimUnlimited {
		cfg.SCIMLimits.PerDirectory = limits.Rate{Unlimited: true}
	}
	a, err := newApp(cfg)
	if err != nil {
		return err
	}
	// The demo is set up while the server runs: configuring the OIDC
	// connection runs discovery against the mounted simulator, and new
	// connections are tested through the app's own endpoints.
	ready := func(ctx context.Context) error {
		demo, err := a.setUpDemo(ctx)
		if err != nil {
			return fmt.Errorf("setting up the demo organization: %w", err)
		}
		printURLs(out, baseURL, *dbPath, secrets, demo)
		return nil
	}
	return startup.Serve(ctx, ln, a.routes(), startup.Background{SSO: a.sso, Domains: a.domains, Google: a.google, Reseal: a.reseal, Logger: logger}, ready)
}

// listenLoopback listens on addr, which must name a loopback address: the
// simulators and the unauthenticated dashboard are for a developer's
// machine only.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-addr %q: the quickstart only listens on a loopback address such as 127.0.0.1", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// printURLs prints what a visitor needs. The e2e test reads these lines:
// each is "  <label>: <value>".
func printURLs(out io.Writer, baseURL, dbPath, secretsPath string, d *demo) {
	fmt.Fprintf(out, `onboardkit quickstart is running (Ctrl-C to stop)
  app: %s/
  dashboard: %s/dashboard/
  portal link: %s
  portal link expires: %s
  SCIM base URL: %s
  SCIM token: %s
  IdP simulator: %s/idp/
  directory simulator: %s/dirsim/
  Google Workspace simulator key file: %s/gwsim/key.json (administrator to act as: user00000@example.com)
  events: %s/events
  organization: %s (%s)
  database: %s
  demo secrets: %s
The SCIM token and the portal link are reused on restart while valid; delete the demo secrets file (development only: plaintext) to rotate them.
`, baseURL, baseURL, d.PortalLink, d.PortalLinkExpires.Format(time.RFC3339),
		d.SCIMBaseURL, d.SCIMToken, baseURL, baseURL, baseURL, baseURL,
		d.OrgID, d.OrgName, dbPath, secretsPath)
}
