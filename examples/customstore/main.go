package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/onboardkit/onboardkit/examples/internal/startup"
)

func main() { startup.Main("customstore", run) }

func run(ctx context.Context, args []string, out, logOut io.Writer) error {
	fs := flag.NewFlagSet("customstore", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8082", "address to listen on")
	dbPath := fs.String("db", "customstore.db", "the SQLite database: onboardkit's tables and the application's customers")
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

	keys, err := startup.Keyring(*dbPath+".keys", logger)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, *dbPath, keys)
	if err != nil {
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
