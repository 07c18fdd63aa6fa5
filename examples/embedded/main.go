package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/onboardkit/onboardkit/examples/internal/startup"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

func main() { startup.Main("embedded", run) }

func run(ctx context.Context, args []string, out, logOut io.Writer) error {
	fs := flag.NewFlagSet("embedded", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	dbPath := fs.String("db", "onboardkit-embedded.db", "SQLite database file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	origin := "http://" + ln.Addr().String()

	keys, err := startup.Keyring(*dbPath+".keys", logger)
	if err != nil {
		return err
	}
	st, err := sqlitestore.Open(ctx, *dbPath, sqlitestore.Options{Keyring: keys})
	if err != nil {
		return fmt.Errorf("opening the store: %w", err)
	}
	defer st.Close()

	h, err := newHost(ctx, hostConfig{Store: st, Origin: origin, Logger: logger})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "embedded portal example\n  settings page: %s/settings\n", origin)

	return startup.Serve(ctx, ln, h.routes(), startup.Background{SSO: h.sso, Domains: h.domains, Reseal: startup.Resealer(st, logger), Logger: logger}, nil)
}
