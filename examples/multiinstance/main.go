package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/onboardkit/onboardkit/examples/internal/startup"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store/pgstore"
)

func main() { startup.Main("multiinstance", run) }

func run(ctx context.Context, args []string, out, logOut io.Writer) error {
	fs := flag.NewFlagSet("multiinstance", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8090", "address of the reverse proxy")
	dsn := fs.String("dsn", os.Getenv("DATABASE_URL"), "PostgreSQL connection string (default $DATABASE_URL)")
	keysFile := fs.String("dev-keys", "multiinstance.keys", "file of the development key sealing the store's secrets, made if absent (unless $"+startup.KeysEnv+" is set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("no database: pass -dsn or set DATABASE_URL")
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))

	// Listen first: the public URL (the proxy's) and the IdP's URL go into
	// every kit's configuration.
	proxyLn, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer proxyLn.Close()
	publicURL := "http://" + proxyLn.Addr().String()
	idpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer idpLn.Close()
	idp, err := idpsim.New(idpsim.Config{
		Development: true,
		BaseURL:     "http://" + idpLn.Addr().String(),
		Users:       []idpsim.User{{Email: "ada@globex.example", GivenName: "Ada", FamilyName: "Lovelace"}},
		Logger:      logger,
	})
	if err != nil {
		return err
	}

	var servers []*http.Server
	var instances []*instance
	// Every instance needs the keys that open what the others seal.
	keys, err := startup.Keyring(*keysFile, logger)
	if err != nil {
		return err
	}
	for _, name := range []string{"a", "b"} {
		st, err := pgstore.Open(ctx, *dsn, pgstore.Options{Keyring: keys})
		if err != nil {
			return fmt.Errorf("instance %s: opening the store: %w", name, err)
		}
		defer st.Close()
		inst, err := newInstance(instanceConfig{
			Name: name, Store: st, PublicURL: publicURL, Logger: logger.With("instance", name),
		})
		if err != nil {
			return fmt.Errorf("instance %s: %w", name, err)
		}
		instances = append(instances, inst)
	}
	errc := make(chan error, 4)
	serve := func(ln net.Listener, h http.Handler) {
		srv := startup.NewServer(h, startup.Timeouts{}, logger)
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(ln) }()
	}
	var backends []string
	for _, inst := range instances {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		backends = append(backends, "http://"+ln.Addr().String())
		serve(ln, inst.routes())
	}
	// Each instance runs its background work; the Store's leases let one
	// at a time do each job.
	for _, inst := range instances {
		stopBackground := startup.Background{SSO: inst.sso, Domains: inst.domains, Reseal: startup.Resealer(inst.store, inst.logger), Logger: inst.logger}.Start(ctx)
		defer stopBackground()
	}
	proxy, err := newRoundRobinProxy(backends, logger)
	if err != nil {
		return err
	}
	serve(proxyLn, proxy)
	serve(idpLn, idp)

	// Set up once the servers run: the new SAML connection is tested with a
	// login through the proxy before it is activated.
	setup, err := instances[0].setUp(ctx, idp)
	if err != nil {
		shutdown(servers)
		return fmt.Errorf("setting up the demo organization: %w", err)
	}

	fmt.Fprintf(out, `multiinstance: two app instances on one PostgreSQL behind a round-robin proxy
  app: %s/
  instance a: %s/
  instance b: %s/
  IdP simulator: %s/
  portal link: %s
  SCIM base URL: %s
  SCIM token: %s
  organization: %s
`, publicURL, backends[0], backends[1], idp.BaseURL(), setup.PortalLink, setup.SCIMBaseURL, setup.SCIMToken, setup.OrgID)

	select {
	case err := <-errc:
		shutdown(servers)
		return err
	case <-ctx.Done():
	}
	return shutdown(servers)
}

// shutdown stops the servers, letting requests in flight finish for a few
// seconds.
func shutdown(servers []*http.Server) error {
	var errs []error
	for _, srv := range servers {
		errs = append(errs, startup.Shutdown(srv))
	}
	return errors.Join(errs...)
}
