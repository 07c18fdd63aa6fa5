package idpsim

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"
)

const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	nsXS        = "http://www.w3.org/2001/XMLSchema"
	nsXSI       = "http://www.w3.org/2001/XMLSchema-instance"

	statusSuccess     = "urn:oasis:names:tc:SAML:2.0:status:Success"
	statusResponder   = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	statusAuthnFailed = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
	bindingPOST       = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	bindingRedirect   = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	nameFormatEntity  = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	authnPasswordPT   = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

	samlTimeFormat = "2006-01-02T15:04:05.000Z"

	// attackerBase is the origin used for every "wrong" value a fault sends.
	attackerBase = "https://attacker.example"
	// commentSuffix is the tail of the signed NameID in FaultNameIDComment.
	commentSuffix = ".evil.com"
)

// ResponseOptions describe one SAML response made by SAMLResponse.
type ResponseOptions struct {
	// SP is the entity id of a registered service provider. Required.
	SP string
	// User is the identity asserted; see AutoLogin.User for how a partial
	// user is completed. Default: the first seed user.
	User User
	// InResponseTo is the AuthnRequest ID answered; empty for an
	// IdP-initiated response.
	InResponseTo string
	// Signing chooses the signed elements. Default SignBoth. The wrapping
	// faults override it: XSW1-2 sign the response only, XSW3-8 and
	// FaultTwoAssertions the assertion only.
	Signing Signing
	// Encrypt encrypts the assertion to the SP's certificate
	// (RSA-OAEP key transport, AES-256-CBC).
	Encrypt bool
	// Faults are the defects to inject. At most one wrapping fault
	// (XSW1-8, FaultTwoAssertions); FaultReplay stands alone.
	Faults []Fault
	// ForgedNameID is the identity the wrapping faults try to smuggle in.
	// Default "admin@" + the user's email domain.
	ForgedNameID string
	// Deny answers with a Responder/AuthnFailed status and no assertion.
	Deny bool
}

// SAMLResponse builds a response as the SSO endpoint would post it and
// returns its base64 encoding, the value of the SAMLResponse form field.
func (idp *IdP) SAMLResponse(opts ResponseOptions) (string, error) {
	b, err := idp.samlResponseXML(opts)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// samlParams are the values that end up in one response.
type samlParams struct {
	sp           *SP
	user         User
	faults       faultSet
	signing      Signing
	encrypt      bool
	signer       *signer
	issuer       string
	audience     string
	destination  string
	recipient    string
	inResponseTo string
	issue        time.Time
	forged       string
}

func (idp *IdP) samlResponseXML(opts ResponseOptions) ([]byte, error) {
	sp, ok := idp.lookupSP(opts.SP)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSP, opts.SP)
	}
	faults := newFaultSet(opts.Faults)
	wrapping := 0
	for f := range faults {
		if !f.SAML() {
			return nil, fmt.Errorf("%w: %q is not a SAML fault", ErrFaultNotApplicable, f)
		}
		if f.xsw() || f == FaultTwoAssertions {
			wrapping++
		}
	}
	if faults[FaultReplay] {
		if len(faults) > 1 || opts.Deny {
			return nil, fmt.Errorf("%w: %q cannot be combined", ErrFaultNotApplicable, FaultReplay)
		}
		idp.mu.Lock()
		last := idp.lastResp[sp.EntityID]
		idp.mu.Unlock()
		if last == nil {
			return nil, ErrNoPreviousResponse
		}
		return append([]byte(nil), last...), nil
	}
	if wrapping > 1 {
		return nil, fmt.Errorf("%w: at most one wrapping fault per response", ErrFaultNotApplicable)
	}
	if opts.Deny && len(faults) > 0 {
		return nil, fmt.Errorf("%w: a denied response takes no faults", ErrFaultNotApplicable)
	}
	if opts.Signing < SignBoth || opts.Signing > SignResponse {
		return nil, fmt.Errorf("idpsim: unknown signing mode %d", opts.Signing)
	}
	if opts.Encrypt {
		if sp.Certificate == nil {
			return nil, ErrNoEncryptionCertificate
		}
		if wrapping > 0 {
			return nil, fmt.Errorf("%w: wrapping faults work on plaintext assertions", ErrFaultNotApplicable)
		}
	}
	user, err := idp.resolveUser(opts.User)
	if err != nil {
		return nil, err
	}

	p := samlParams{
		sp: sp, user: user, faults: faults, signing: opts.Signing, encrypt: opts.Encrypt,
		signer: idp.signer(), issuer: idp.entityID, audience: sp.EntityID,
		destination: sp.ACSURL, recipient: sp.ACSURL, inResponseTo: opts.InResponseTo,
		issue: idp.now().UTC(), forged: opts.ForgedNameID,
	}
	if p.forged == "" {
		d := emailDomain(user.Email)
		if d == "" {
			d = "example.com"
		}
		p.forged = "admin@" + d
	}
	switch {
	case faults[FaultXSW1] || faults[FaultXSW2]:
		p.signing = SignResponse
	case wrapping > 0:
		p.signing = SignAssertion
	}
	if faults[FaultForeignKey] {
		if p.signer, err = idp.foreignSigner(); err != nil {
			return nil, err
		}
	}
	if faults[FaultExpired] {
		p.issue = p.issue.Add(-2 * time.Hour)
	}
	if faults[FaultNotYetValid] {
		p.issue = p.issue.Add(time.Hour)
	}
	if faults[FaultWrongIssuer] {
		p.issuer = attackerBase + "/saml/metadata"
	}
	if faults[FaultWrongAudience] {
		p.audience = attackerBase + "/sp"
	}
	if faults[FaultWrongDestination] {
		p.destination = attackerBase + "/saml/acs"
	}
	if faults[FaultWrongRecipient] {
		p.recipient = attackerBase + "/saml/acs"
	}
	if faults[FaultWrongInResponseTo] {
		if p.inResponseTo, err = idp.newID("id-"); err != nil {
			return nil, err
		}
	}

	out, err := idp.buildResponse(&p, opts.Deny)
	if err != nil {
		return nil, err
	}
	if len(faults) == 0 && !opts.Deny {
		idp.mu.Lock()
		idp.lastResp[sp.EntityID] = append([]byte(nil), out...)
		idp.mu.Unlock()
	}
	return out, nil
}

func samlTime(t time.Time) string { return t.UTC().Format(samlTimeFormat) }

func (idp *IdP) buildResponse(p *samlParams, deny bool) ([]byte, error) {
	respID, err := idp.newID("id-")
	if err != nil {
		return nil, err
	}
	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", nsProtocol)
	resp.CreateAttr("xmlns:saml", nsAssertion)
	resp.CreateAttr("ID", respID)
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", samlTime(p.issue))
	resp.CreateAttr("Destination", p.destination)
	if p.inResponseTo != "" {
		resp.CreateAttr("InResponseTo", p.inResponseTo)
	}
	iss := resp.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", nameFormatEntity)
	iss.SetText(p.issuer)
	status := resp.CreateElement("samlp:Status")
	if deny {
		code := status.CreateElement("samlp:StatusCode")
		code.CreateAttr("Value", statusResponder)
		code.CreateElement("samlp:StatusCode").CreateAttr("Value", statusAuthnFailed)
		status.CreateElement("samlp:StatusMessage").SetText("The user cancelled or failed authentication at the simulator.")
	} else {
		status.CreateElement("samlp:StatusCode").CreateAttr("Value", statusSuccess)

		assertion, err := idp.buildAssertion(p)
		if err != nil {
			return nil, err
		}
		signAssertion := !p.faults[FaultUnsigned] && (p.signing == SignBoth || p.signing == SignAssertion)
		if signAssertion {
			if err := signElement(assertion, p.signer, p.faults[FaultSHA1]); err != nil {
				return nil, err
			}
		}
		if p.faults[FaultNameIDComment] {
			injectComments(assertion, p.user.Email)
		}
		if p.encrypt {
			enc, err := encryptAssertion(assertion, p.sp)
			if err != nil {
				return nil, err
			}
			resp.AddChild(enc)
		} else {
			resp.AddChild(assertion)
			if err := idp.wrapAssertion(resp, assertion, p); err != nil {
				return nil, err
			}
		}
	}
	signResponse := !p.faults[FaultUnsigned] && (deny || p.signing == SignBoth || p.signing == SignResponse)
	if signResponse {
		if err := signElement(resp, p.signer, p.faults[FaultSHA1]); err != nil {
			return nil, err
		}
	}
	root := resp
	if p.faults[FaultXSW1] || p.faults[FaultXSW2] {
		if root, err = idp.wrapResponse(resp, p); err != nil {
			return nil, err
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(root)
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	if p.faults[FaultDoctype] {
		out = append([]byte(`<!DOCTYPE samlp:Response [<!ENTITY who "`+p.forged+`">]>`), out...)
	}
	return out, nil
}

func (idp *IdP) buildAssertion(p *samlParams) (*etree.Element, error) {
	id, err := idp.newID("id-")
	if err != nil {
		return nil, err
	}
	shape := idp.shapeSAML(p.sp.Preset, p.user)
	if p.faults[FaultNameIDComment] {
		// The IdP signs the attacker's real account name; the comment is
		// added after signing.
		victim := p.user.Email
		for i := range shape.attrs {
			for j, v := range shape.attrs[i].Values {
				if v == victim {
					shape.attrs[i].Values[j] = victim + commentSuffix
				}
			}
		}
		if shape.nameID == victim {
			shape.nameID = victim + commentSuffix
		}
	}
	notOnOrAfter := samlTime(p.issue.Add(idp.lifetime))

	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", nsAssertion)
	a.CreateAttr("xmlns:xs", nsXS)
	a.CreateAttr("xmlns:xsi", nsXSI)
	a.CreateAttr("ID", id)
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", samlTime(p.issue))
	iss := a.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", nameFormatEntity)
	iss.SetText(p.issuer)

	subj := a.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", shape.nameIDFormat)
	nid.SetText(shape.nameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	if p.inResponseTo != "" {
		scd.CreateAttr("InResponseTo", p.inResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", notOnOrAfter)
	scd.CreateAttr("Recipient", p.recipient)

	cond := a.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", samlTime(p.issue))
	cond.CreateAttr("NotOnOrAfter", notOnOrAfter)
	if !p.faults[FaultNoAudience] {
		cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(p.audience)
	}

	as := a.CreateElement("saml:AuthnStatement")
	as.CreateAttr("AuthnInstant", samlTime(p.issue))
	as.CreateAttr("SessionIndex", id)
	as.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText(authnPasswordPT)

	if len(shape.attrs) > 0 {
		st := a.CreateElement("saml:AttributeStatement")
		for _, attr := range shape.attrs {
			at := st.CreateElement("saml:Attribute")
			at.CreateAttr("Name", attr.Name)
			if attr.NameFormat != "" {
				at.CreateAttr("NameFormat", attr.NameFormat)
			}
			if attr.FriendlyName != "" {
				at.CreateAttr("FriendlyName", attr.FriendlyName)
			}
			for _, v := range attr.Values {
				av := at.CreateElement("saml:AttributeValue")
				if attr.typed {
					av.CreateAttr("xsi:type", "xs:string")
				}
				av.SetText(v)
			}
		}
	}
	return a, nil
}

// signElement adds an enveloped RSA-SHA256 (RSA-SHA1 when sha1) signature
// over el (exclusive canonicalization) right after its Issuer, where the
// SAML schema wants it.
func signElement(el *etree.Element, s *signer, sha1 bool) error {
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		return fmt.Errorf("idpsim: signing: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	method := dsig.RSASHA256SignatureMethod
	if sha1 {
		method = dsig.RSASHA1SignatureMethod
	}
	if err := ctx.SetSignatureMethod(method); err != nil {
		return fmt.Errorf("idpsim: signing: %w", err)
	}
	// The canonicalizer rewrites its input, so sign a detached copy; every
	// namespace el uses is declared on el itself.
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return fmt.Errorf("idpsim: signing: %w", err)
	}
	idx := 0
	for i, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag == "Issuer" {
			idx = i + 1
			break
		}
	}
	el.InsertChildAt(idx, sig)
	return nil
}

// injectComments splits every text node equal to victim+commentSuffix
// into victim, an empty comment and the suffix.
func injectComments(a *etree.Element, victim string) {
	signed := victim + commentSuffix
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if e.Text() == signed && len(e.ChildElements()) == 0 {
			e.SetText(victim)
			e.CreateComment("")
			e.CreateText(commentSuffix)
			return
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(a)
}

func encryptAssertion(a *etree.Element, sp *SP) (*etree.Element, error) {
	doc := etree.NewDocument()
	doc.SetRoot(a.Copy())
	plain, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	enc := xmlenc.OAEP()
	enc.BlockCipher = xmlenc.AES256CBC
	ed, err := enc.Encrypt(sp.Certificate, plain, nil)
	if err != nil {
		return nil, fmt.Errorf("idpsim: encrypting assertion: %w", err)
	}
	ed.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	ea := etree.NewElement("saml:EncryptedAssertion")
	ea.CreateAttr("xmlns:saml", nsAssertion)
	ea.AddChild(ed)
	return ea, nil
}

// childByTag returns the first child element of e with the local name tag.
func childByTag(e *etree.Element, tag string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

func removeSignature(e *etree.Element) *etree.Element {
	if s := childByTag(e, "Signature"); s != nil {
		e.RemoveChild(s)
		return s
	}
	return nil
}

// forge turns a copy of an assertion into the attacker's: a new ID and the
// forged identity in NameID and in every attribute value equal to the
// victim's NameID or email.
func (idp *IdP) forge(a *etree.Element, p *samlParams, keepSignature bool) (*etree.Element, error) {
	evil := a.Copy()
	if !keepSignature {
		removeSignature(evil)
	}
	id, err := idp.newID("id-")
	if err != nil {
		return nil, err
	}
	evil.CreateAttr("ID", id)
	var old string
	if subj := childByTag(evil, "Subject"); subj != nil {
		if nid := childByTag(subj, "NameID"); nid != nil {
			old = nid.Text()
			nid.SetText(p.forged)
		}
	}
	if st := childByTag(evil, "AttributeStatement"); st != nil {
		for _, at := range st.ChildElements() {
			for _, v := range at.ChildElements() {
				if t := v.Text(); t != "" && (t == old || t == p.user.Email) {
					v.SetText(p.forged)
				}
			}
		}
	}
	return evil, nil
}

// wrapAssertion applies the assertion-level wrapping faults to resp, whose
// last child is the signed assertion orig.
func (idp *IdP) wrapAssertion(resp, orig *etree.Element, p *samlParams) error {
	f := p.faults
	idx := orig.Index()
	switch {
	case f[FaultTwoAssertions]:
		evil, err := idp.forge(orig, p, false)
		if err != nil {
			return err
		}
		resp.AddChild(evil)
	case f[FaultXSW3]:
		evil, err := idp.forge(orig, p, false)
		if err != nil {
			return err
		}
		resp.InsertChildAt(idx, evil)
	case f[FaultXSW4]:
		evil, err := idp.forge(orig, p, false)
		if err != nil {
			return err
		}
		resp.RemoveChild(orig)
		evil.AddChild(orig)
		resp.InsertChildAt(idx, evil)
	case f[FaultXSW5], f[FaultXSW6], f[FaultXSW8]:
		evil, err := idp.forge(orig, p, true)
		if err != nil {
			return err
		}
		plain := orig.Copy()
		removeSignature(plain)
		resp.RemoveChild(orig)
		resp.InsertChildAt(idx, evil)
		sig := childByTag(evil, "Signature")
		switch {
		case f[FaultXSW5]:
			resp.AddChild(plain)
		case f[FaultXSW6]:
			sig.AddChild(plain)
		default:
			obj := sig.CreateElement("ds:Object")
			obj.AddChild(plain)
		}
	case f[FaultXSW7]:
		evil, err := idp.forge(orig, p, false)
		if err != nil {
			return err
		}
		ext := etree.NewElement("samlp:Extensions")
		ext.AddChild(evil)
		status := childByTag(resp, "Status")
		resp.InsertChildAt(status.Index(), ext)
	}
	return nil
}

// wrapResponse applies XSW1 and XSW2 to a signed response: a forged copy
// becomes the root and keeps the original Signature; the original response
// (signature removed) goes inside that Signature (XSW1) or just before it
// (XSW2).
func (idp *IdP) wrapResponse(resp *etree.Element, p *samlParams) (*etree.Element, error) {
	plain := resp.Copy()
	removeSignature(plain)
	evil := resp.Copy()
	id, err := idp.newID("id-")
	if err != nil {
		return nil, err
	}
	evil.CreateAttr("ID", id)
	if a := childByTag(evil, "Assertion"); a != nil {
		forged, err := idp.forge(a, p, false)
		if err != nil {
			return nil, err
		}
		i := a.Index()
		evil.RemoveChild(a)
		evil.InsertChildAt(i, forged)
	}
	sig := childByTag(evil, "Signature")
	if sig == nil {
		return nil, fmt.Errorf("%w: XSW1/XSW2 need a signed response", ErrFaultNotApplicable)
	}
	if p.faults[FaultXSW1] {
		sig.AddChild(plain)
	} else {
		evil.InsertChildAt(sig.Index(), plain)
	}
	return evil, nil
}

// metadataXML renders the IdP's SAML metadata.
func (idp *IdP) metadataXML() ([]byte, error) {
	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", nsMetadata)
	ed.CreateAttr("xmlns:ds", nsDSig)
	ed.CreateAttr("entityID", idp.entityID)
	ed.CreateAttr("validUntil", samlTime(idp.now().Add(48*time.Hour)))
	d := ed.CreateElement("md:IDPSSODescriptor")
	d.CreateAttr("WantAuthnRequestsSigned", "false")
	d.CreateAttr("protocolSupportEnumeration", nsProtocol)
	kd := d.CreateElement("md:KeyDescriptor")
	kd.CreateAttr("use", "signing")
	kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(idp.cert.Raw))
	for _, b := range []string{bindingRedirect, bindingPOST} {
		slo := d.CreateElement("md:SingleLogoutService")
		slo.CreateAttr("Binding", b)
		slo.CreateAttr("Location", idp.SLOURL())
	}
	for _, f := range []string{nameIDEmail, nameIDUnspecified, "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"} {
		d.CreateElement("md:NameIDFormat").SetText(f)
	}
	for _, b := range []string{bindingRedirect, bindingPOST} {
		sso := d.CreateElement("md:SingleSignOnService")
		sso.CreateAttr("Binding", b)
		sso.CreateAttr("Location", idp.SSOURL())
	}

	org := ed.CreateElement("md:Organization")
	for _, kv := range [][2]string{{"md:OrganizationName", "idpsim"}, {"md:OrganizationDisplayName", "Development simulator - not a real identity provider"}, {"md:OrganizationURL", idp.BaseURL()}} {
		el := org.CreateElement(kv[0])
		el.CreateAttr("xml:lang", "en")
		el.SetText(kv[1])
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(ed)
	return doc.WriteToBytes()
}

// trimB64 removes the whitespace some SPs put in base64 form values.
func trimB64(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}
