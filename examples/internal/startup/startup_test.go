package startup

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/mgmtapi"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func contentType(path string) string {
	switch {
	case strings.HasPrefix(path, "/scim/"):
		return "application/scim+json"
	case strings.HasPrefix(path, "/sso/"):
		return "application/x-www-form-urlencoded"
	}
	return "application/json"
}

// TestSlowBodyCutOff: a request whose body trickles in (a byte every 50ms,
// with a Read timeout of 200ms) to SCIM, to the ACS and to the management
// API, each authenticated so that the handler reads the body, is cut off: the connection ends with an error status or is closed, instead of
// staying open for as long as the client keeps sending. Nothing asserts a
// duration; the client's own deadline only keeps a broken server from
// hanging the test.
func TestSlowBodyCutOff(t *testing.T) {
	st := memstore.New()
	scim, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "http://127.0.0.1/scim"})
	if err != nil {
		t.Fatal(err)
	}
	sso, err := ssokit.New(ssokit.Config{Store: st, BaseURL: "http://127.0.0.1/sso", OnLogin: func(http.ResponseWriter, *http.Request, *ssokit.Profile) {}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	quiet := slog.New(slog.DiscardHandler)
	if err := st.CreateOrganization(ctx, &store.Organization{ID: "org_1", Name: "Acme", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	dir, err := scim.CreateDirectory(ctx, "org_1", scimkit.DirectoryOptions{Active: true})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := scim.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sso.CreateConnection(ctx, "org_1", ssokit.NewConnection{Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta"}, "system")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", scim))
	mux.Handle("/sso/", http.StripPrefix("/sso", sso))
	svc, err := admin.New(admin.Config{Store: st, PortalURL: "http://127.0.0.1/portal", Connections: sso, Directories: scim})
	if err != nil {
		t.Fatal(err)
	}
	api, err := mgmtapi.New(mgmtapi.Config{Admin: svc, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateAPIKey(ctx, admin.APIKeyInput{Name: "test"}, "system")
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/", http.StripPrefix("/api", api))
	srv := NewServer(mux, Timeouts{ReadHeader: 200 * time.Millisecond, Read: 200 * time.Millisecond, Write: time.Second, Idle: time.Second}, quiet)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer Shutdown(srv)

	for path, bearer := range map[string]string{
		"/scim/" + dir.ID + "/Users":    token,
		"/sso/saml/" + conn.ID + "/acs": "",
		"/api/organizations":            key.Key,
	} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.WriteString(c, "POST "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "+contentType(path)+"\r\nAuthorization: Bearer "+bearer+"\r\nContent-Length: 100000\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			// Trickle the body until the server ends the exchange.
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				for range 100000 {
					if _, err := c.Write([]byte("x")); err != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode < 400 {
					t.Fatalf("slow body answered %s", resp.Status)
				}
				t.Logf("answered %s", resp.Status)
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the server kept the slow request open: %v", err)
			} else {
				t.Logf("connection ended: %v", err)
			}
			// The server closes the connection: the trickle stops.
			<-stopped
		})
	}
}

// TestBackgroundStartStops: the background work starts and ends with its
// context.
func TestBackgroundStartStops(t *testing.T) {
	st := memstore.New()
	sso, err := ssokit.New(ssokit.Config{Store: st, BaseURL: "http://127.0.0.1/sso", OnLogin: func(http.ResponseWriter, *http.Request, *ssokit.Profile) {}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []Background{{SSO: sso}, {Store: st}} {
		stop := b.Start(t.Context())
		stop()
	}
}
