package ssokit

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/crewjam/saml"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// IdPMetadata is what ssokit reads from a SAML identity provider's metadata.
type IdPMetadata struct {
	EntityID string
	// SSOURL is the HTTP-Redirect binding endpoint, SSOPostURL the HTTP-POST
	// one; at least one is set.
	SSOURL     string
	SSOPostURL string
	// SLOURL and SLOPostURL are the Single Logout endpoints (HTTP-Redirect
	// and HTTP-POST), SLOResponseURL and SLOPostResponseURL where logout
	// responses go (the ResponseLocation, else the Location); all are
	// empty when the IdP advertises no Single Logout.
	SLOURL             string
	SLOPostURL         string
	SLOResponseURL     string
	SLOPostResponseURL string
	// Certificates are the signing certificates, in document order.
	Certificates []*x509.Certificate
}

// ErrBadMetadata: IdP metadata that cannot be used.
var ErrBadMetadata = errors.New("ssokit: unusable IdP metadata")

// ParseIdPMetadata reads SAML IdP metadata (an EntityDescriptor, or an
// EntitiesDescriptor holding exactly one IdP, or the one whose entityID is
// entityID when that is not empty). It refuses documents larger than
// maxSize (0 means 256 KiB), DOCTYPEs and entities, XML that does not
// survive a round trip, locations that are not http(s) URLs (javascript:,
// data:), and plain-http locations unless insecure.
func ParseIdPMetadata(data []byte, entityID string, maxSize int64, insecure bool) (*IdPMetadata, error) {
	if maxSize <= 0 {
		maxSize = 256 << 10
	}
	if int64(len(data)) > maxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadMetadata, maxSize)
	}
	if err := checkXMLTokens(data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMetadata, err)
	}
	var entities []saml.EntityDescriptor
	var probe struct{ XMLName xml.Name }
	if err := xml.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMetadata, err)
	}
	const mdNS = "urn:oasis:names:tc:SAML:2.0:metadata"
	switch probe.XMLName {
	case xml.Name{Space: mdNS, Local: "EntityDescriptor"}:
		var ed saml.EntityDescriptor
		if err := xml.Unmarshal(data, &ed); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadMetadata, err)
		}
		entities = append(entities, ed)
	case xml.Name{Space: mdNS, Local: "EntitiesDescriptor"}:
		var eds saml.EntitiesDescriptor
		if err := xml.Unmarshal(data, &eds); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadMetadata, err)
		}
		var walk func(e *saml.EntitiesDescriptor, depth int)
		walk = func(e *saml.EntitiesDescriptor, depth int) {
			entities = append(entities, e.EntityDescriptors...)
			if depth < 4 {
				for i := range e.EntitiesDescriptors {
					walk(&e.EntitiesDescriptors[i], depth+1)
				}
			}
		}
		walk(&eds, 0)
	default:
		return nil, fmt.Errorf("%w: root element is %s, want md:EntityDescriptor", ErrBadMetadata, probe.XMLName.Local)
	}
	var idps []*saml.EntityDescriptor
	for i := range entities {
		if len(entities[i].IDPSSODescriptors) == 0 {
			continue
		}
		if entityID == "" || entities[i].EntityID == entityID {
			idps = append(idps, &entities[i])
		}
	}
	switch {
	case len(idps) == 0:
		return nil, fmt.Errorf("%w: no IdP entity found", ErrBadMetadata)
	case len(idps) > 1:
		return nil, fmt.Errorf("%w: %d IdP entities; configure the entity id to pick one", ErrBadMetadata, len(idps))
	}
	ed := idps[0]
	md := &IdPMetadata{EntityID: strings.TrimSpace(ed.EntityID)}
	if md.EntityID == "" {
		return nil, fmt.Errorf("%w: entityID is empty", ErrBadMetadata)
	}
	seen := map[string]bool{}
	for _, d := range ed.IDPSSODescriptors {
		for _, ep := range d.SingleSignOnServices {
			if err := checkIdPURL(ep.Location, insecure); err != nil {
				return nil, fmt.Errorf("%w: SingleSignOnService location: %w", ErrBadMetadata, err)
			}
			switch ep.Binding {
			case saml.HTTPRedirectBinding:
				if md.SSOURL == "" {
					md.SSOURL = ep.Location
				}
			case saml.HTTPPostBinding:
				if md.SSOPostURL == "" {
					md.SSOPostURL = ep.Location
				}
			}
		}
		for _, ep := range d.SingleLogoutServices {
			resp := ep.ResponseLocation
			if resp == "" {
				resp = ep.Location
			}
			for _, u := range []string{ep.Location, resp} {
				if err := checkIdPURL(u, insecure); err != nil {
					return nil, fmt.Errorf("%w: SingleLogoutService location: %w", ErrBadMetadata, err)
				}
			}
			switch ep.Binding {
			case saml.HTTPRedirectBinding:
				if md.SLOURL == "" {
					md.SLOURL, md.SLOResponseURL = ep.Location, resp
				}
			case saml.HTTPPostBinding:
				if md.SLOPostURL == "" {
					md.SLOPostURL, md.SLOPostResponseURL = ep.Location, resp
				}
			}
		}
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, xc := range kd.KeyInfo.X509Data.X509Certificates {
				c, err := parseBase64Cert(xc.Data)
				if err != nil {
					return nil, fmt.Errorf("%w: signing certificate: %v", ErrBadMetadata, err)
				}
				if tp := thumbprint(c); !seen[tp] {
					seen[tp] = true
					md.Certificates = append(md.Certificates, c)
				}
			}
		}
	}
	if md.SSOURL == "" && md.SSOPostURL == "" {
		return nil, fmt.Errorf("%w: no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding", ErrBadMetadata)
	}
	if len(md.Certificates) == 0 {
		return nil, fmt.Errorf("%w: no signing certificate", ErrBadMetadata)
	}
	return md, nil
}

// checkXMLTokens refuses what no SAML message or metadata needs and what
// attacks rely on: invalid UTF-8, DOCTYPE and entity declarations, and XML
// whose meaning changes across an encoding/xml round trip.
func checkXMLTokens(data []byte) error {
	if !utf8.Valid(data) {
		return errors.New("not valid UTF-8")
	}
	if err := xrv.Validate(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("XML round-trip validation: %w", err)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Directive:
			return errors.New("DOCTYPE or other directive not allowed")
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return errors.New("XML nested too deeply")
			}
		case xml.EndElement:
			depth--
		case xml.ProcInst:
			if t.Target != "xml" {
				return errors.New("processing instruction not allowed")
			}
		}
	}
}

const maxXMLDepth = 40

func parseBase64Cert(s string) (*x509.Certificate, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// parseCertPEM reads one certificate, PEM or bare base64 DER.
func parseCertPEM(s string) (*x509.Certificate, error) {
	s = strings.TrimSpace(s)
	if b, _ := pem.Decode([]byte(s)); b != nil {
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %q is not a certificate", b.Type)
		}
		return x509.ParseCertificate(b.Bytes)
	}
	return parseBase64Cert(s)
}

// thumbprint is the SHA-256 fingerprint of a certificate, in hex, the form
// shown to IT admins.
func thumbprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func parseAbsURL(raw string) (*url.URL, error) {
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n\\") {
		return nil, fmt.Errorf("ssokit: invalid URL %q", truncate(raw, 200))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("ssokit: URL %q must be an absolute http(s) URL", truncate(raw, 200))
	}
	return u, nil
}
