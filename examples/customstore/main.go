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

func main() { startup.Main("customstore", run) }

func run(ctx context.Context, args []string, out, logOut io.Writer) error {
	fs := flag.NewFlagSet("customstore", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8082", "address to listen on")
	appDB := fs.String("app-db", "customstore-app.db", "the application's own SQLite database (customers)")
	okDB := fs.String("onboardkit-db", "customstore-onboardkit.db", "SQLite database for the rest of onboardkit's data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	baseURL := "http://" + ln.Addr().String()

	db, err := openCustomersDB(ctx, *appDB)
	if err != nil {
		return err
	}
	keys, err := startup.Keyring(*okDB+".keys", logger)
	if err != nil {
		db.Close()
		return err
	}
	inner, err := sqlitestore.Open(ctx, *okDB, sqlitestore.Options{Keyring: keys})
	if err != nil {
		db.Close()
		return err
	}
	st, err := newCustomerStore(ctx, db, inner)
	if err != nil {
		inner.Close()
		db.Close()
		return err
	}
	defer st.Close()

	h, err := newHostApp(st, baseURL, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "customstore example\n  app: %s/\n", baseURL)

	// No SSO kit here: the portal's sessions and links are cleaned up by
	// store.Cleanup on its own.
	return startup.Serve(ctx, ln, h.routes(), startup.Background{Store: st, Reseal: startup.Resealer(st, logger), Logger: logger}, nil)
}
