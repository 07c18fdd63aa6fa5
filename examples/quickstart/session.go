package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/ssokit"
)

const (
	sessionCookie = "quickstart_session"
	sessionTTL    = 8 * time.Hour
	// maxCookieValue keeps the cookie under the 4 KB browsers accept.
	maxCookieValue = 3800
)

// appSession is the app's own signed-in user: what OnLogin received,
// kept in a signed cookie. A real app keys its user record by ProfileID.
type appSession struct {
	ProfileID    string              `json:"id"`
	Subject      string              `json:"sub"`
	Email        string              `json:"email"`
	FirstName    string              `json:"first_name,omitempty"`
	LastName     string              `json:"last_name,omitempty"`
	DisplayName  string              `json:"display_name,omitempty"`
	Groups       []string            `json:"groups,omitempty"`
	OrgID        string              `json:"org"`
	ConnectionID string              `json:"conn"`
	Protocol     string              `json:"protocol"`
	Provider     string              `json:"provider,omitempty"`
	IdPInitiated bool                `json:"idp_initiated,omitempty"`
	Attributes   map[string][]string `json:"attrs,omitempty"`
	// AttributesOmitted is set when the attributes did not fit the cookie.
	AttributesOmitted bool      `json:"attrs_omitted,omitempty"`
	Expires           time.Time `json:"exp"`
}

func sessionFromProfile(p *ssokit.Profile, now time.Time) *appSession {
	return &appSession{
		ProfileID: p.ID, Subject: p.Subject, Email: p.Email,
		FirstName: p.FirstName, LastName: p.LastName, DisplayName: p.DisplayName, Groups: p.Groups,
		OrgID: p.OrgID, ConnectionID: p.ConnectionID, Protocol: string(p.Protocol), Provider: p.Provider,
		IdPInitiated: p.IdPInitiated, Attributes: p.Attributes,
		Expires: now.Add(sessionTTL).UTC(),
	}
}

// sessionCodec signs sessions with HMAC-SHA256 under a key made at start:
// restarting the app signs everyone out, which suits a demo.
type sessionCodec struct{ key []byte }

func newSessionCodec(rand io.Reader) (*sessionCodec, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, err
	}
	return &sessionCodec{key: key}, nil
}

func (c *sessionCodec) sign(payload string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (c *sessionCodec) encode(s *appSession) (string, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(raw)
	if len(payload) > maxCookieValue-50 && len(s.Attributes) > 0 {
		trimmed := *s
		trimmed.Attributes, trimmed.AttributesOmitted = nil, true
		return c.encode(&trimmed)
	}
	return payload + "." + c.sign(payload), nil
}

var errBadSession = errors.New("invalid session cookie")

func (c *sessionCodec) decode(value string, now time.Time) (*appSession, error) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(c.sign(payload))) {
		return nil, errBadSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, errBadSession
	}
	var s appSession
	if err := json.Unmarshal(raw, &s); err != nil || !now.Before(s.Expires) {
		return nil, errBadSession
	}
	return &s, nil
}

// setSession signs s into the session cookie.
func (c *sessionCodec) set(w http.ResponseWriter, s *appSession) error {
	v, err := c.encode(s)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: v, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(sessionTTL / time.Second),
	})
	return nil
}

// get returns the signed-in user, or nil.
func (c *sessionCodec) get(r *http.Request) *appSession {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s, err := c.decode(ck.Value, time.Now())
	if err != nil {
		return nil
	}
	return s
}

func (c *sessionCodec) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
}
