package idpsim

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/crewjam/saml"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// Size limits for incoming SAML messages.
const (
	// MaxEncodedRequest is the longest SAMLRequest parameter accepted
	// (base64 text, either binding).
	MaxEncodedRequest = 64 << 10
	// MaxRequestXML is the largest AuthnRequest XML accepted after base64
	// decoding and, for the redirect binding, inflation.
	MaxRequestXML = 64 << 10
	// MaxMetadata is the largest SP metadata document accepted.
	MaxMetadata = 1 << 20
	// maxIDLen bounds the AuthnRequest ID echoed in InResponseTo.
	maxIDLen = 256
)

// AuthnRequest is the part of a SAML AuthnRequest the simulator uses.
type AuthnRequest struct {
	ID                          string
	Issuer                      string
	AssertionConsumerServiceURL string
	ProtocolBinding             string
	Destination                 string
	ForceAuthn                  bool
	NameIDPolicyFormat          string
}

type xmlAuthnRequest struct {
	XMLName                     xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:protocol AuthnRequest"`
	ID                          string   `xml:"ID,attr"`
	Version                     string   `xml:"Version,attr"`
	Destination                 string   `xml:"Destination,attr"`
	AssertionConsumerServiceURL string   `xml:"AssertionConsumerServiceURL,attr"`
	ProtocolBinding             string   `xml:"ProtocolBinding,attr"`
	ForceAuthn                  string   `xml:"ForceAuthn,attr"`
	Issuer                      *struct {
		Value string `xml:",chardata"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	NameIDPolicy *struct {
		Format string `xml:"Format,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol NameIDPolicy"`
}

// DecodeAuthnRequest decodes the SAMLRequest parameter of the
// HTTP-Redirect binding (deflate, then base64) when redirect is true, or of
// the HTTP-POST binding (base64) otherwise, and parses the AuthnRequest.
// Every failure wraps ErrMalformedRequest or ErrRequestTooLarge.
func DecodeAuthnRequest(encoded string, redirect bool) (*AuthnRequest, error) {
	if len(encoded) > MaxEncodedRequest {
		return nil, fmt.Errorf("%w: SAMLRequest is %d bytes, limit %d", ErrRequestTooLarge, len(encoded), MaxEncodedRequest)
	}
	if encoded == "" {
		return nil, fmt.Errorf("%w: no SAMLRequest", ErrMalformedRequest)
	}
	raw, err := base64.StdEncoding.DecodeString(trimB64(encoded))
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64", ErrMalformedRequest)
	}
	if redirect {
		zr := flate.NewReader(bytes.NewReader(raw))
		inflated, err := io.ReadAll(io.LimitReader(zr, MaxRequestXML+1))
		if err != nil {
			return nil, fmt.Errorf("%w: bad deflate data", ErrMalformedRequest)
		}
		if len(inflated) > MaxRequestXML {
			return nil, fmt.Errorf("%w: inflated AuthnRequest exceeds %d bytes", ErrRequestTooLarge, MaxRequestXML)
		}
		raw = inflated
	}
	if len(raw) > MaxRequestXML {
		return nil, fmt.Errorf("%w: AuthnRequest exceeds %d bytes", ErrRequestTooLarge, MaxRequestXML)
	}
	return parseAuthnRequest(raw)
}

func parseAuthnRequest(raw []byte) (*AuthnRequest, error) {
	if err := checkXML(raw); err != nil {
		return nil, err
	}
	var x xmlAuthnRequest
	if err := xml.Unmarshal(raw, &x); err != nil {
		return nil, fmt.Errorf("%w: not an AuthnRequest", ErrMalformedRequest)
	}
	if x.Version != "2.0" {
		return nil, fmt.Errorf("%w: Version %q, want 2.0", ErrMalformedRequest, x.Version)
	}
	if !validID(x.ID) {
		return nil, fmt.Errorf("%w: missing or invalid ID", ErrMalformedRequest)
	}
	if x.Issuer == nil || strings.TrimSpace(x.Issuer.Value) == "" {
		return nil, fmt.Errorf("%w: no Issuer", ErrMalformedRequest)
	}
	req := &AuthnRequest{
		ID:                          x.ID,
		Issuer:                      strings.TrimSpace(x.Issuer.Value),
		AssertionConsumerServiceURL: x.AssertionConsumerServiceURL,
		ProtocolBinding:             x.ProtocolBinding,
		Destination:                 x.Destination,
		ForceAuthn:                  x.ForceAuthn == "true" || x.ForceAuthn == "1",
	}
	if x.NameIDPolicy != nil {
		req.NameIDPolicyFormat = x.NameIDPolicy.Format
	}
	if req.ProtocolBinding != "" && req.ProtocolBinding != bindingPOST {
		return nil, fmt.Errorf("%w: ProtocolBinding %q is not supported (HTTP-POST only)", ErrMalformedRequest, req.ProtocolBinding)
	}
	return req, nil
}

// checkXML refuses what a SAML message never contains: invalid UTF-8,
// DOCTYPE and other directives, and documents that do not survive an
// encoding/xml round trip.
func checkXML(raw []byte) error {
	if !utf8.Valid(raw) {
		return fmt.Errorf("%w: not UTF-8", ErrMalformedRequest)
	}
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: not well-formed XML", ErrMalformedRequest)
		}
		if _, ok := tok.(xml.Directive); ok {
			return fmt.Errorf("%w: DOCTYPE and other directives are refused", ErrMalformedRequest)
		}
	}
	if err := xrv.Validate(bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("%w: XML round-trip check failed", ErrMalformedRequest)
	}
	return nil
}

// validID accepts a non-empty NCName-like token of bounded length.
func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for i, r := range id {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case i > 0 && (r == '-' || r == '.' || r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return true
}

// spForRequest finds the service provider of an AuthnRequest and checks its
// ACS URL.
func (idp *IdP) spForRequest(req *AuthnRequest) (*SP, error) {
	if req.Destination != "" && req.Destination != idp.SSOURL() {
		return nil, fmt.Errorf("%w: Destination %q is not %q", ErrMalformedRequest, req.Destination, idp.SSOURL())
	}
	sp, ok := idp.lookupSP(req.Issuer)
	if !ok {
		if !idp.cfg.InsecureAllowAnySP {
			return nil, fmt.Errorf("%w: %q", ErrUnknownSP, req.Issuer)
		}
		if err := checkHTTPURL(req.AssertionConsumerServiceURL); err != nil {
			return nil, fmt.Errorf("%w: unregistered SP without a usable AssertionConsumerServiceURL", ErrMalformedRequest)
		}
		sp = &SP{EntityID: req.Issuer, ACSURL: req.AssertionConsumerServiceURL, Name: req.Issuer + " (unregistered)"}
		idp.mu.Lock()
		if len(idp.anySPSeen) >= 1000 {
			clear(idp.anySPSeen)
		}
		idp.anySPSeen[req.Issuer] = sp
		idp.mu.Unlock()
		return sp, nil
	}
	if req.AssertionConsumerServiceURL != "" && req.AssertionConsumerServiceURL != sp.ACSURL {
		return nil, fmt.Errorf("%w: asked %q, registered %q", ErrACSMismatch, req.AssertionConsumerServiceURL, sp.ACSURL)
	}
	return sp, nil
}

// RegisterSPMetadata registers the service provider described by SAML
// metadata XML: its entity id, its first HTTP-POST assertion consumer
// service (the default one when marked) and its encryption certificate.
// preset shapes its attributes.
func (idp *IdP) RegisterSPMetadata(metadata []byte, preset Preset) (SP, error) {
	if len(metadata) > MaxMetadata {
		return SP{}, fmt.Errorf("%w: metadata exceeds %d bytes", ErrRequestTooLarge, MaxMetadata)
	}
	if err := checkXML(metadata); err != nil {
		return SP{}, fmt.Errorf("idpsim: SP metadata: %w", err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(metadata, &ed); err != nil {
		return SP{}, fmt.Errorf("idpsim: SP metadata: not an EntityDescriptor: %w", err)
	}
	if len(ed.SPSSODescriptors) == 0 {
		return SP{}, errors.New("idpsim: SP metadata: no SPSSODescriptor")
	}
	sp := SP{EntityID: ed.EntityID, Preset: preset}
	d := ed.SPSSODescriptors[0]
	acs := slices.Clone(d.AssertionConsumerServices)
	slices.SortStableFunc(acs, func(a, b saml.IndexedEndpoint) int {
		ad, bd := a.IsDefault != nil && *a.IsDefault, b.IsDefault != nil && *b.IsDefault
		switch {
		case ad && !bd:
			return -1
		case bd && !ad:
			return 1
		}
		return a.Index - b.Index
	})
	for _, e := range acs {
		if e.Binding == bindingPOST {
			sp.ACSURL = e.Location
			break
		}
	}
	if sp.ACSURL == "" {
		return SP{}, errors.New("idpsim: SP metadata: no HTTP-POST AssertionConsumerService")
	}
	for _, e := range d.SingleLogoutServices {
		if e.Binding == bindingRedirect || e.Binding == bindingPOST {
			sp.SLOURL = e.Location
			break
		}
	}
	for _, kd := range d.KeyDescriptors {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, c := range kd.KeyInfo.X509Data.X509Certificates {
			der, err := base64.StdEncoding.DecodeString(trimB64(c.Data))
			if err != nil {
				return SP{}, fmt.Errorf("idpsim: SP metadata: bad certificate base64: %w", err)
			}
			if sp.SigningCertificate, err = x509.ParseCertificate(der); err != nil {
				return SP{}, fmt.Errorf("idpsim: SP metadata: bad certificate: %w", err)
			}
			break
		}
		if sp.SigningCertificate != nil {
			break
		}
	}
	for _, kd := range d.KeyDescriptors {
		if kd.Use != "" && kd.Use != "encryption" {
			continue
		}
		for _, c := range kd.KeyInfo.X509Data.X509Certificates {
			der, err := base64.StdEncoding.DecodeString(trimB64(c.Data))
			if err != nil {
				return SP{}, fmt.Errorf("idpsim: SP metadata: bad certificate base64: %w", err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return SP{}, fmt.Errorf("idpsim: SP metadata: bad certificate: %w", err)
			}
			sp.Certificate = cert
			break
		}
		if sp.Certificate != nil {
			break
		}
	}
	if err := idp.RegisterSP(sp); err != nil {
		return SP{}, err
	}
	return sp, nil
}

// RegisterSPMetadataURL fetches SP metadata with Config.HTTPClient and
// registers it like RegisterSPMetadata.
func (idp *IdP) RegisterSPMetadataURL(ctx context.Context, metadataURL string, preset Preset) (SP, error) {
	if err := checkHTTPURL(metadataURL); err != nil {
		return SP{}, fmt.Errorf("idpsim: metadata URL: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return SP{}, fmt.Errorf("idpsim: metadata URL: %w", err)
	}
	resp, err := idp.client.Do(req)
	if err != nil {
		return SP{}, fmt.Errorf("idpsim: fetching SP metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return SP{}, fmt.Errorf("idpsim: fetching SP metadata: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxMetadata+1))
	if err != nil {
		return SP{}, fmt.Errorf("idpsim: reading SP metadata: %w", err)
	}
	return idp.RegisterSPMetadata(body, preset)
}
