package idpsim

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// NewServer starts the simulator on an httptest.Server for a test and closes
// it with t.Cleanup. Development is set and BaseURL is the server's URL;
// configure, when not nil, adjusts the rest of the Config (users, SPs,
// clients, a shared Key and Certificate to save key generation, a fixed
// clock, AutoLogin...). It calls t.Fatal if New fails.
func NewServer(t testing.TB, configure func(*Config)) *IdP {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg := Config{BaseURL: "http://" + srv.Listener.Addr().String()}
	if configure != nil {
		configure(&cfg)
	}
	cfg.Development = true
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	idp, err := New(cfg)
	if err != nil {
		srv.Close()
		t.Fatalf("idpsim.NewServer: %v", err)
	}
	srv.Config.Handler = idp
	srv.Start()
	t.Cleanup(srv.Close)
	return idp
}

// PostForm is an HTML form found in a simulator page, such as the
// auto-submitting SAML response form.
type PostForm struct {
	// Action is the form's action URL, resolved against the page URL.
	Action string
	// Values are the form's hidden and named input values.
	Values url.Values
}

// ParsePostForm finds the auto-submitting form (id "autopost") in an HTML
// page served at pageURL, or the first form when there is none. Tests use
// it to follow the SAML POST binding without a browser.
func ParsePostForm(page []byte, pageURL string) (*PostForm, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, err
	}
	var first, auto *html.Node
	var find func(n *html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" {
			if first == nil {
				first = n
			}
			if attr(n, "id") == "autopost" && auto == nil {
				auto = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	form := auto
	if form == nil {
		form = first
	}
	if form == nil {
		return nil, errors.New("idpsim: no form in page")
	}
	action := attr(form, "action")
	if base, err := url.Parse(pageURL); err == nil && pageURL != "" {
		if ref, err := base.Parse(action); err == nil {
			action = ref.String()
		}
	}
	pf := &PostForm{Action: action, Values: url.Values{}}
	var inputs func(n *html.Node)
	inputs = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			name := attr(n, "name")
			typ := strings.ToLower(attr(n, "type"))
			if name != "" && typ != "submit" && (typ != "checkbox" || hasAttr(n, "checked")) {
				pf.Values.Add(name, attr(n, "value"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			inputs(c)
		}
	}
	inputs(form)
	return pf, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
