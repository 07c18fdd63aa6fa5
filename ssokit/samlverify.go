package ssokit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"

	statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	methodBearer  = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	digestSHA1    = "http://www.w3.org/2000/09/xmldsig#sha1"
	digestSHA256  = "http://www.w3.org/2001/04/xmlenc#sha256"
	digestSHA384  = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	digestSHA512  = "http://www.w3.org/2001/04/xmlenc#sha512"
	maxIssueAge   = 5 * time.Minute

	// Shape limits, checked before any signature work. goxmldsig refuses
	// to traverse more than 1,000 elements, so a document must stay well
	// below that; no IdP sends more than a handful of namespace
	// declarations, and each one makes goxmldsig copy a map per element.
	maxXMLElements       = 800 // elements in the Response, or in a decrypted assertion
	maxAttributeValues   = 500 // AttributeValue elements in the assertion
	maxAttrsPerElement   = 64  // attributes on one element, namespace declarations included
	maxNSDeclsPerElement = 16
	maxNSInScope         = 32 // namespace declarations in scope at one element
)

// Signature algorithms ssokit accepts. SHA-1 ones only when the connection
// enables them; MD5, HMAC, comments-preserving canonicalization, XPath and
// XSLT transforms never.
var (
	allowedSigMethods = map[string]bool{
		dsig.RSASHA256SignatureMethod: true, dsig.RSASHA384SignatureMethod: true, dsig.RSASHA512SignatureMethod: true,
		dsig.ECDSASHA256SignatureMethod: true, dsig.ECDSASHA384SignatureMethod: true, dsig.ECDSASHA512SignatureMethod: true,
	}
	sha1SigMethods = map[string]bool{dsig.RSASHA1SignatureMethod: true, dsig.ECDSASHA1SignatureMethod: true}
	allowedDigests = map[string]bool{digestSHA256: true, digestSHA384: true, digestSHA512: true}
	allowedC14N    = map[string]bool{
		string(dsig.CanonicalXML10ExclusiveAlgorithmId): true,
		string(dsig.CanonicalXML11AlgorithmId):          true,
		string(dsig.CanonicalXML10RecAlgorithmId):       true,
	}
	allowedTransforms = map[string]bool{
		string(dsig.EnvelopedSignatureAltorithmId):      true,
		string(dsig.CanonicalXML10ExclusiveAlgorithmId): true,
		string(dsig.CanonicalXML11AlgorithmId):          true,
		string(dsig.CanonicalXML10RecAlgorithmId):       true,
	}
)

// samlResponse is what ssokit takes from a verified SAML response. Every
// identity field comes from the bytes a trusted signature covered.
type samlResponse struct {
	ResponseID           string
	Destination          string
	InResponseTo         string // Response/@InResponseTo
	ResponseIssuer       string
	ResponseIssueInstant time.Time

	AssertionID     string
	Issuer          string
	IssueInstant    time.Time
	NameID          string
	NameIDFormat    string
	SessionIndex    string
	Confirmations   []subjectConfirmation
	HasConditions   bool
	NotBefore       time.Time
	NotOnOrAfter    time.Time
	Audiences       [][]string // one slice per AudienceRestriction
	Attributes      map[string][]string
	FriendlyNames   map[string]string // FriendlyName -> Name
	SignedResponse  bool
	SignedAssertion bool
	Encrypted       bool
}

type subjectConfirmation struct {
	Method       string
	Recipient    string
	InResponseTo string
	NotBefore    time.Time
	NotOnOrAfter time.Time
	HasData      bool
}

// parsedResponse is a response read but not yet verified.
type parsedResponse struct {
	root      *etree.Element
	assertion *etree.Element // the single Assertion or EncryptedAssertion child
}

// parseSAMLResponse reads raw (decoded) response XML and checks its shape:
// valid UTF-8, round-trip stable, no DOCTYPE, entity, comment or processing
// instruction, bounded depth, a samlp:Response root with exactly one
// assertion (plain or encrypted) as a direct child and no other assertion
// anywhere, and signatures only directly under the Response or that
// assertion. Together with the reference check this rules out the XML
// signature wrapping family.
func parseSAMLResponse(raw []byte) (*parsedResponse, *LoginError) {
	root, le := readSAMLDocument(raw, "Response")
	if le != nil {
		return nil, le
	}
	pr := &parsedResponse{root: root}
	var found int
	le = walkXML(root, func(el *etree.Element, depth int) *LoginError {
		switch el.Tag {
		case "Assertion", "EncryptedAssertion":
			found++
			if found > 1 {
				return refuse(ReasonStructure, "more than one assertion in the response")
			}
			if el.Parent() != root || el.NamespaceURI() != nsAssertion {
				return refuse(ReasonStructure, "assertion is not a direct child of the Response")
			}
			pr.assertion = el
		case "Signature":
			p := el.Parent()
			if el.NamespaceURI() != nsDSig || (p != root && (p == nil || p != pr.assertion)) {
				return refuse(ReasonStructure, "signature in an unexpected place")
			}
		}
		return nil
	})
	if le != nil {
		return nil, le
	}
	if pr.assertion == nil {
		// A non-success status usually comes without an assertion; report it
		// as such.
		if st := statusCode(root); st != "" && st != statusSuccess {
			le := refuse(ReasonIdPStatus, "the IdP returned status %s", st)
			le.Status = st
			return nil, le
		}
		return nil, refuse(ReasonStructure, "no assertion in the response")
	}
	if n := len(childrenNS(root, nsDSig, "Signature")); n > 1 {
		return nil, refuse(ReasonStructure, "several signatures on the Response")
	}
	// The IDs a signature may reference name one element each in the
	// whole document, the Signatures included.
	for _, el := range []*etree.Element{root, pr.assertion} {
		if id := attrValue(el, "ID"); id != "" && countID(root, id) != 1 {
			return nil, refuse(ReasonStructure, "the ID of <%s> is on several elements", el.Tag)
		}
	}
	return pr, nil
}

// readSAMLDocument reads raw (decoded) SAML protocol message XML whose root
// must be samlp:<tag> (see readXML). The ACS and the Single Logout
// endpoint both read messages through it.
func readSAMLDocument(raw []byte, tag string) (*etree.Element, *LoginError) {
	root, le := readXML(raw)
	if le != nil {
		return nil, le
	}
	if root.Tag != tag || root.NamespaceURI() != nsProtocol {
		return nil, refuse(ReasonMalformed, "root element is not a samlp:%s", tag)
	}
	return root, nil
}

// readXML parses raw XML once and checks its hygiene: valid UTF-8, no
// DOCTYPE, entity, comment or processing instruction, a root element, the
// element, attribute and namespace limits, and names that read the same
// to every XML parser (checkXMLNames). It replaces a separate round-trip
// validation pass: what it accepts, xml-roundtrip-validator accepts too
// (FuzzXMLRoundTrip), and the signature is verified on this very tree.
func readXML(raw []byte) (*etree.Element, *LoginError) {
	if !utf8.Valid(raw) {
		return nil, refuse(ReasonMalformed, "response is not valid UTF-8")
	}
	if le := refuseMarkup(raw); le != nil {
		return nil, le
	}
	doc := etree.NewDocument()
	// Duplicate attributes are kept, so that checkXMLNames refuses them
	// rather than etree silently keeping the last one.
	doc.ReadSettings.PreserveDuplicateAttrs = true
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, &LoginError{Reason: ReasonMalformed, Detail: "cannot parse XML", Err: err}
	}
	for _, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Directive:
			return nil, refuse(ReasonForbiddenXML, "DOCTYPE or directive in the response")
		case *etree.ProcInst:
			if t.Target != "xml" {
				return nil, refuse(ReasonForbiddenXML, "processing instruction in the response")
			}
		case *etree.Comment:
			return nil, refuse(ReasonForbiddenXML, "comment in the response")
		}
	}
	root := doc.Root()
	if root == nil {
		return nil, refuse(ReasonMalformed, "no root element")
	}
	if le := checkXMLLimits(root); le != nil {
		return nil, le
	}
	return root, nil
}

// refuseMarkup refuses DOCTYPE and entity declarations, comments and
// processing instructions other than the XML declaration, before any parser
// sees them: no SAML response needs them, and entity expansion (billion
// laughs), DTD tricks and comment truncation attacks all start there.
func refuseMarkup(raw []byte) *LoginError {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '<')
		if j < 0 {
			return nil
		}
		i += j + 1
		if i >= len(raw) {
			return nil
		}
		switch raw[i] {
		case '!':
			if bytes.HasPrefix(raw[i:], []byte("![CDATA[")) {
				continue
			}
			if bytes.HasPrefix(raw[i:], []byte("!--")) {
				return refuse(ReasonForbiddenXML, "comment in the response")
			}
			return refuse(ReasonForbiddenXML, "DOCTYPE or entity declaration in the response")
		case '?':
			if len(bytes.TrimLeft(raw[:i-1], "\xef\xbb\xbf \t\r\n")) != 0 || !bytes.HasPrefix(raw[i:], []byte("?xml ")) {
				return refuse(ReasonForbiddenXML, "processing instruction in the response")
			}
		}
	}
}

// walkXML visits every element under root (root included) depth-first, and
// refuses comments, processing instructions and directives inside the tree
// and nesting deeper than maxXMLDepth.
func walkXML(root *etree.Element, fn func(*etree.Element, int) *LoginError) *LoginError {
	type frame struct {
		el    *etree.Element
		depth int
	}
	stack := make([]frame, 1, 32)
	stack[0] = frame{root, 1}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.depth > maxXMLDepth {
			return refuse(ReasonMalformed, "XML nested too deeply")
		}
		if le := fn(f.el, f.depth); le != nil {
			return le
		}
		for _, tok := range f.el.Child {
			switch t := tok.(type) {
			case *etree.Element:
				stack = append(stack, frame{t, f.depth + 1})
			case *etree.Comment:
				return refuse(ReasonForbiddenXML, "comment inside <%s>", f.el.Tag)
			case *etree.ProcInst, *etree.Directive:
				return refuse(ReasonForbiddenXML, "processing instruction or directive inside <%s>", f.el.Tag)
			}
		}
	}
	return nil
}

// checkXMLLimits bounds the number of elements, the attributes of each
// element and the namespace declarations in scope at each element, so
// that canonicalization and namespace handling in the signature check
// (goxmldsig copies the in-scope namespaces per element) cost little
// whatever is posted.
func checkXMLLimits(root *etree.Element) *LoginError {
	type frame struct {
		el      *etree.Element
		inScope int
		prefix  []nsDecl // the prefixes declared in scope, innermost last
	}
	elements := 0
	stack := make([]frame, 1, 32)
	stack[0] = frame{root, 0, nil}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		el := f.el
		elements++
		if elements > maxXMLElements {
			return refuse(ReasonMalformed, "more than %d XML elements", maxXMLElements)
		}
		if len(el.Attr) > maxAttrsPerElement {
			return refuse(ReasonMalformed, "more than %d attributes on <%s>", maxAttrsPerElement, truncate(el.Tag, 60))
		}
		n := 0
		prefix := f.prefix
		for _, a := range el.Attr {
			if a.Space == "xmlns" {
				if len(prefix) == len(f.prefix) {
					prefix = slices.Clip(prefix) // siblings share the parent's
				}
				prefix = append(prefix, nsDecl{a.Key, a.Value})
			}
			if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
				n++
			}
		}
		if n > maxNSDeclsPerElement {
			return refuse(ReasonMalformed, "more than %d namespace declarations on <%s>", maxNSDeclsPerElement, truncate(el.Tag, 60))
		}
		inScope := f.inScope + n
		if inScope > maxNSInScope {
			return refuse(ReasonMalformed, "more than %d namespace declarations in scope at <%s>", maxNSInScope, truncate(el.Tag, 60))
		}
		if le := checkXMLNames(el, prefix); le != nil {
			return le
		}
		for _, tok := range el.Child {
			if c, ok := tok.(*etree.Element); ok {
				stack = append(stack, frame{c, inScope, prefix})
			}
		}
	}
	return nil
}

// nsDecl is a prefix declaration: xmlns:prefix="uri".
type nsDecl struct{ prefix, uri string }

// lookupPrefix returns the namespace prefix is bound to in scope ("" when
// it is not declared), as etree's NamespaceURI resolves it.
func lookupPrefix(scope []nsDecl, prefix string) string {
	for i := len(scope) - 1; i >= 0; i-- {
		if scope[i].prefix == prefix {
			return scope[i].uri
		}
	}
	return ""
}

const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

// checkXMLNames refuses the names whose reading depends on the parser,
// which is what made encoding/xml round trips unstable (CVE-2020-29509,
// 29510, 29511): a local name with a colon (":a", "a:", "a::b"), the
// reserved xmlns prefix on an element, an undeclared prefix, an empty,
// reserved or misbound namespace declaration, and an attribute given
// twice (by name, or by namespace and local name).
func checkXMLNames(el *etree.Element, scope []nsDecl) *LoginError {
	bad := func(what, name string) *LoginError {
		return refuse(ReasonMalformed, "%s %q on <%s>", what, truncate(name, 60), truncate(el.Tag, 60))
	}
	if el.Tag == "" || strings.IndexByte(el.Tag, ':') >= 0 {
		return bad("element name", el.FullTag())
	}
	switch el.Space {
	case "":
	case "xml", "xmlns":
		return bad("reserved element prefix", el.FullTag())
	default:
		if lookupPrefix(scope, el.Space) == "" {
			return bad("undeclared element prefix", el.FullTag())
		}
	}
	// The namespace each attribute is in, resolved once: the duplicate
	// check below compares these, not prefixes looked up pair by pair
	// (which cost O(attributes² × declarations) per element).
	var buf [16]string
	uris := buf[:0]
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Key == "" || strings.IndexByte(a.Key, ':') >= 0 || (a.Key == "xmlns" && a.Space != "") {
			return bad("attribute name", a.FullKey())
		}
		switch {
		case a.Space == "xmlns":
			// Declaring the xml prefix, even correctly, is refused with
			// the rest of it (below).
			if a.Key == "xml" || a.Value == "" || a.Value == nsXML || a.Value == nsXMLNS {
				return bad("namespace declaration", a.FullKey())
			}
		case a.Space == "" && a.Key == "xmlns":
			if a.Value == nsXML || a.Value == nsXMLNS {
				return bad("namespace declaration", a.FullKey())
			}
		case a.Space == "":
		case a.Space == "xml":
			// encoding/xml does not round-trip xml:lang and the like
			// (it writes them back under a made-up prefix); no SAML
			// message needs them.
			return bad("xml: attribute", a.FullKey())
		}
		// An unprefixed attribute is in no namespace; a declaration is
		// told apart by its prefix ("xmlns:" + name).
		uri := ""
		switch a.Space {
		case "":
		case "xmlns":
			uri = "xmlns:"
		default:
			if uri = lookupPrefix(scope, a.Space); uri == "" {
				return bad("undeclared attribute prefix", a.FullKey())
			}
		}
		for j, b := range el.Attr[:i] {
			if b.Key == a.Key && uris[j] == uri {
				return bad("duplicate attribute", a.FullKey())
			}
		}
		uris = append(uris, uri)
	}
	return nil
}

func childrenNS(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for c := range el.ChildElementsSeq() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// oneChild returns the only child ns:tag of el, nil when there is none, and
// an error when there are several.
func oneChild(el *etree.Element, ns, tag string) (*etree.Element, error) {
	var found *etree.Element
	for c := range el.ChildElementsSeq() {
		if c.Tag != tag {
			continue
		}
		if c.NamespaceURI() != ns {
			return nil, fmt.Errorf("<%s> in foreign namespace %q", tag, c.NamespaceURI())
		}
		if found != nil {
			return nil, fmt.Errorf("several <%s> elements", tag)
		}
		found = c
	}
	return found, nil
}

func statusCode(resp *etree.Element) string {
	st, _ := oneChild(resp, nsProtocol, "Status")
	if st == nil {
		return ""
	}
	sc, _ := oneChild(st, nsProtocol, "StatusCode")
	if sc == nil {
		return ""
	}
	return attrValue(sc, "Value")
}

// text returns the character data of el, refusing elements with child
// elements so that nothing can hide part of a value.
func text(el *etree.Element) (string, error) {
	var b strings.Builder
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			return "", fmt.Errorf("<%s> has child elements", el.Tag)
		case *etree.Comment, *etree.ProcInst, *etree.Directive:
			return "", fmt.Errorf("<%s> contains a comment or instruction", el.Tag)
		}
	}
	return strings.TrimSpace(b.String()), nil
}

func parseXSDateTime(el *etree.Element, attr string) (time.Time, error) {
	v := attrValue(el, attr)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad %s %q", attr, truncate(v, 40))
	}
	return t.UTC(), nil
}

// verifySAMLResponse verifies the signatures of pr against sp's trusted
// certificates and reads the response from the verified bytes. Time,
// audience, recipient and request checks are left to checkSAMLResponse.
func (s *SSO) verifySAMLResponse(sp *samlSP, pr *parsedResponse, now time.Time) (*samlResponse, *LoginError) {
	res := &samlResponse{}
	src := pr.root
	if sig, err := oneChild(pr.root, nsDSig, "Signature"); err != nil {
		return nil, refuse(ReasonStructure, "%v", err)
	} else if sig != nil {
		v, le := verifyEnveloped(sp, pr.root, sig, now)
		if le != nil {
			return nil, le
		}
		src = v
		res.SignedResponse = true
	}
	if st := statusCode(src); st != statusSuccess {
		le := refuse(ReasonIdPStatus, "the IdP returned status %q", st)
		le.Status = st
		return nil, le
	}
	res.ResponseID = attrValue(src, "ID")
	res.Destination = attrValue(src, "Destination")
	res.InResponseTo = attrValue(src, "InResponseTo")
	if iss, err := oneChild(src, nsAssertion, "Issuer"); err != nil {
		return nil, refuse(ReasonMalformed, "response issuer: %v", err)
	} else if iss != nil {
		res.ResponseIssuer, _ = text(iss)
	}
	t, err := parseXSDateTime(src, "IssueInstant")
	if err != nil || t.IsZero() {
		return nil, refuse(ReasonMalformed, "response IssueInstant missing or malformed")
	}
	res.ResponseIssueInstant = t

	// The assertion, from the verified copy when the Response was signed.
	var a *etree.Element
	for c := range src.ChildElementsSeq() {
		if (c.Tag == "Assertion" || c.Tag == "EncryptedAssertion") && c.NamespaceURI() == nsAssertion {
			a = c
		}
	}
	if a == nil {
		return nil, refuse(ReasonStructure, "assertion missing from the signed response")
	}
	if a.Tag == "EncryptedAssertion" {
		if !sp.requireEncryption {
			// Decrypting is opt-in: a connection that did not ask for
			// encryption never uses its key on an attacker's ciphertext.
			return nil, refuse(ReasonDecrypt, "encrypted assertion, but the connection does not use encrypted assertions")
		}
		plain, le := decryptAssertion(sp, a, res.SignedResponse)
		if le != nil {
			return nil, le
		}
		a = plain
		res.Encrypted = true
	} else if sp.requireEncryption {
		return nil, refuse(ReasonNotEncrypted, "the connection requires encrypted assertions")
	}
	if sig, err := oneChild(a, nsDSig, "Signature"); err != nil {
		return nil, refuse(ReasonStructure, "%v", err)
	} else if sig != nil {
		v, le := verifyEnveloped(sp, a, sig, now)
		if le != nil {
			return nil, le
		}
		a = v
		res.SignedAssertion = true
	} else if !res.SignedResponse {
		if res.Encrypted {
			return nil, refuse(ReasonUnsigned, "encrypted assertion is not signed, nor is the response")
		}
		return nil, refuse(ReasonUnsigned, "neither the response nor the assertion is signed")
	}
	if le := readAssertion(a, res); le != nil {
		return nil, le
	}
	return res, nil
}

// decryptAssertion decrypts and reads an EncryptedAssertion. Only a
// connection that asks for encrypted assertions decrypts at all; AES-CBC is
// accepted only when the Response's signature was verified first. Every
// failure, from the key transport to reading the decrypted XML, gives the
// same reason, status and detail (see decryptFailed).
func decryptAssertion(sp *samlSP, enc *etree.Element, signedResponse bool) (*etree.Element, *LoginError) {
	plain, err := decryptEncryptedAssertion(sp.key, enc, signedResponse)
	if err != nil {
		return nil, decryptFailed(err)
	}
	root, err := readDecryptedAssertion(plain)
	if err != nil {
		return nil, decryptFailed(err)
	}
	return root, nil
}

func readDecryptedAssertion(plain []byte) (*etree.Element, error) {
	root, le := readXML(plain)
	if le != nil {
		return nil, le
	}
	if root.Tag != "Assertion" || root.NamespaceURI() != nsAssertion {
		return nil, errors.New("decrypted content is not a saml:Assertion")
	}
	if le := walkXML(root, func(el *etree.Element, _ int) *LoginError {
		switch el.Tag {
		case "Assertion", "EncryptedAssertion":
			if el != root {
				return refuse(ReasonStructure, "nested assertion")
			}
		case "Signature":
			if el.Parent() != root {
				return refuse(ReasonStructure, "signature in an unexpected place")
			}
		}
		return nil
	}); le != nil {
		return nil, le
	}
	return root, nil
}

// readAssertion reads the verified assertion a into res, checking that
// every element it uses is in the SAML assertion namespace (a NameID of a
// foreign namespace is refused, not read).
func readAssertion(a *etree.Element, res *samlResponse) *LoginError {
	if a.Tag != "Assertion" || a.NamespaceURI() != nsAssertion {
		return refuse(ReasonStructure, "not a saml:Assertion")
	}
	res.AssertionID = attrValue(a, "ID")
	if res.AssertionID == "" {
		return refuse(ReasonMalformed, "assertion has no ID")
	}
	t, err := parseXSDateTime(a, "IssueInstant")
	if err != nil || t.IsZero() {
		return refuse(ReasonMalformed, "assertion IssueInstant missing or malformed")
	}
	res.IssueInstant = t
	iss, err := oneChild(a, nsAssertion, "Issuer")
	if err != nil || iss == nil {
		return refuse(ReasonIssuer, "assertion must have exactly one Issuer")
	}
	if res.Issuer, err = text(iss); err != nil {
		return refuse(ReasonIssuer, "%v", err)
	}

	subj, err := oneChild(a, nsAssertion, "Subject")
	if err != nil {
		return refuse(ReasonSubject, "%v", err)
	}
	if subj == nil {
		return refuse(ReasonSubject, "assertion has no Subject")
	}
	for c := range subj.ChildElementsSeq() {
		switch {
		case c.NamespaceURI() != nsAssertion:
			return refuse(ReasonSubject, "element <%s> of foreign namespace %q in Subject", c.Tag, truncate(c.NamespaceURI(), 100))
		case c.Tag == "NameID":
			if res.NameID != "" {
				return refuse(ReasonSubject, "several NameID elements")
			}
			v, err := text(c)
			if err != nil {
				return refuse(ReasonSubject, "NameID: %v", err)
			}
			if v == "" {
				return refuse(ReasonSubject, "empty NameID")
			}
			res.NameID = v
			res.NameIDFormat = attrValue(c, "Format")
		case c.Tag == "EncryptedID" || c.Tag == "BaseID":
			return refuse(ReasonSubject, "<%s> subjects are not supported", c.Tag)
		case c.Tag == "SubjectConfirmation":
			sc := subjectConfirmation{Method: attrValue(c, "Method")}
			d, err := oneChild(c, nsAssertion, "SubjectConfirmationData")
			if err != nil {
				return refuse(ReasonMalformed, "SubjectConfirmation: %v", err)
			}
			if d != nil {
				sc.HasData = true
				sc.Recipient = attrValue(d, "Recipient")
				sc.InResponseTo = attrValue(d, "InResponseTo")
				if sc.NotBefore, err = parseXSDateTime(d, "NotBefore"); err != nil {
					return refuse(ReasonMalformed, "SubjectConfirmationData: %v", err)
				}
				if sc.NotOnOrAfter, err = parseXSDateTime(d, "NotOnOrAfter"); err != nil {
					return refuse(ReasonMalformed, "SubjectConfirmationData: %v", err)
				}
			}
			res.Confirmations = append(res.Confirmations, sc)
		}
	}
	if res.NameID == "" {
		return refuse(ReasonSubject, "assertion Subject has no NameID")
	}

	cond, err := oneChild(a, nsAssertion, "Conditions")
	if err != nil {
		return refuse(ReasonMalformed, "%v", err)
	}
	if cond != nil {
		res.HasConditions = true
		if res.NotBefore, err = parseXSDateTime(cond, "NotBefore"); err != nil {
			return refuse(ReasonMalformed, "Conditions: %v", err)
		}
		if res.NotOnOrAfter, err = parseXSDateTime(cond, "NotOnOrAfter"); err != nil {
			return refuse(ReasonMalformed, "Conditions: %v", err)
		}
		for c := range cond.ChildElementsSeq() {
			switch {
			case c.NamespaceURI() != nsAssertion:
				return refuse(ReasonCondition, "condition <%s> of foreign namespace %q", truncate(c.Tag, 60), truncate(c.NamespaceURI(), 100))
			case c.Tag == "AudienceRestriction":
			case c.Tag == "OneTimeUse":
				// Met: every assertion is used once (the replay cache).
			default:
				// ProxyRestriction, a typed <Condition> or anything else
				// ssokit does not evaluate makes the assertion
				// Indeterminate (SAML core 2.5.1.1): refuse it.
				return refuse(ReasonCondition, "condition <%s> is not supported", truncate(c.Tag, 60))
			}
		}
		for _, ar := range childrenNS(cond, nsAssertion, "AudienceRestriction") {
			var auds []string
			for _, au := range childrenNS(ar, nsAssertion, "Audience") {
				v, err := text(au)
				if err != nil {
					return refuse(ReasonAudience, "Audience: %v", err)
				}
				auds = append(auds, v)
			}
			res.Audiences = append(res.Audiences, auds)
		}
	}

	if as, _ := oneChild(a, nsAssertion, "AuthnStatement"); as != nil {
		res.SessionIndex = attrValue(as, "SessionIndex")
	}
	res.Attributes = map[string][]string{}
	res.FriendlyNames = map[string]string{}
	n := 0
	for _, st := range childrenNS(a, nsAssertion, "AttributeStatement") {
		for _, at := range childrenNS(st, nsAssertion, "Attribute") {
			name := attrValue(at, "Name")
			if name == "" {
				continue
			}
			if fn := attrValue(at, "FriendlyName"); fn != "" {
				res.FriendlyNames[fn] = name
			}
			for _, v := range childrenNS(at, nsAssertion, "AttributeValue") {
				n++
				if n > maxAttributeValues {
					return refuse(ReasonMalformed, "too many attribute values")
				}
				s, err := text(v)
				if err != nil {
					// Structured values (a NameID inside an AttributeValue)
					// are not profile data; skip them.
					continue
				}
				res.Attributes[name] = append(res.Attributes[name], s)
			}
		}
	}
	return nil
}

// checkSAMLResponse applies the checks that bind a verified response to
// this connection, this request and this time.
func (s *SSO) checkSAMLResponse(sp *samlSP, res *samlResponse, requestID string, now time.Time) *LoginError {
	skew := sp.skew
	if res.Issuer != sp.idpEntityID {
		le := refuse(ReasonIssuer, "assertion issuer is not the connection's IdP")
		le.Issuer, le.ExpectedIssuer = res.Issuer, sp.idpEntityID
		return le
	}
	if res.ResponseIssuer != "" && res.ResponseIssuer != sp.idpEntityID {
		le := refuse(ReasonIssuer, "response issuer is not the connection's IdP")
		le.Issuer, le.ExpectedIssuer = res.ResponseIssuer, sp.idpEntityID
		return le
	}
	if res.Destination != "" || res.SignedResponse {
		if res.Destination != sp.acsURL {
			le := refuse(ReasonDestination, "response Destination is not this connection's ACS URL")
			le.Destination, le.ExpectedDestination = res.Destination, sp.acsURL
			return le
		}
	}
	// Some IdPs put InResponseTo only on the SubjectConfirmationData, which
	// is checked below; a Response value, when present, must match too.
	if res.InResponseTo != requestID && !(res.InResponseTo == "" && requestID != "") {
		le := refuse(ReasonInResponseTo, "response InResponseTo does not match the login request")
		le.InResponseTo = res.InResponseTo
		return le
	}
	for _, t := range []time.Time{res.ResponseIssueInstant, res.IssueInstant} {
		if t.After(now.Add(skew)) {
			le := refuse(ReasonNotYetValid, "IssueInstant is in the future")
			le.NotBefore, le.Now, le.Skew = t, now, skew
			return le
		}
		if !now.Before(t.Add(maxIssueAge + skew)) {
			le := refuse(ReasonExpired, "IssueInstant is too old")
			le.NotOnOrAfter, le.Now, le.Skew = t.Add(maxIssueAge), now, skew
			return le
		}
	}
	if !res.HasConditions {
		return refuse(ReasonAudience, "assertion has no Conditions (an audience restriction is required)")
	}
	if !res.NotBefore.IsZero() && now.Add(skew).Before(res.NotBefore) {
		le := refuse(ReasonNotYetValid, "assertion Conditions NotBefore is in the future")
		le.NotBefore, le.NotOnOrAfter, le.Now, le.Skew = res.NotBefore, res.NotOnOrAfter, now, skew
		return le
	}
	if !res.NotOnOrAfter.IsZero() && !now.Before(res.NotOnOrAfter.Add(skew)) {
		le := refuse(ReasonExpired, "assertion Conditions NotOnOrAfter has passed")
		le.NotBefore, le.NotOnOrAfter, le.Now, le.Skew = res.NotBefore, res.NotOnOrAfter, now, skew
		return le
	}
	if len(res.Audiences) == 0 {
		le := refuse(ReasonAudience, "assertion has no AudienceRestriction")
		le.ExpectedAudience = sp.entityID
		return le
	}
	for _, auds := range res.Audiences {
		ok := false
		for _, a := range auds {
			if a == sp.entityID {
				ok = true
			}
		}
		if !ok {
			le := refuse(ReasonAudience, "audience is not this connection's SP entity id")
			le.ExpectedAudience, le.Audiences = sp.entityID, auds
			return le
		}
	}
	bearer := 0
	for _, sc := range res.Confirmations {
		if sc.Method != methodBearer {
			continue
		}
		bearer++
		if !sc.HasData || sc.NotOnOrAfter.IsZero() {
			return refuse(ReasonMalformed, "bearer SubjectConfirmation without SubjectConfirmationData NotOnOrAfter")
		}
		if sc.Recipient != sp.acsURL {
			le := refuse(ReasonRecipient, "SubjectConfirmationData Recipient is not this connection's ACS URL")
			le.Destination, le.ExpectedDestination = sc.Recipient, sp.acsURL
			return le
		}
		if sc.InResponseTo != requestID {
			le := refuse(ReasonInResponseTo, "SubjectConfirmationData InResponseTo does not match the login request")
			le.InResponseTo = sc.InResponseTo
			return le
		}
		if !now.Before(sc.NotOnOrAfter.Add(skew)) {
			le := refuse(ReasonExpired, "SubjectConfirmationData NotOnOrAfter has passed")
			le.NotOnOrAfter, le.Now, le.Skew = sc.NotOnOrAfter, now, skew
			return le
		}
		if !sc.NotBefore.IsZero() && now.Add(skew).Before(sc.NotBefore) {
			le := refuse(ReasonNotYetValid, "SubjectConfirmationData NotBefore is in the future")
			le.NotBefore, le.Now, le.Skew = sc.NotBefore, now, skew
			return le
		}
	}
	if bearer == 0 {
		return refuse(ReasonMalformed, "assertion has no bearer SubjectConfirmation")
	}
	return nil
}

// replayExpiry is how long the assertion id must stay in the replay cache:
// until the latest time the assertion could still be accepted.
func replayExpiry(res *samlResponse, skew time.Duration) time.Time {
	t := res.IssueInstant.Add(maxIssueAge)
	if res.NotOnOrAfter.After(t) {
		t = res.NotOnOrAfter
	}
	for _, sc := range res.Confirmations {
		if sc.NotOnOrAfter.After(t) {
			t = sc.NotOnOrAfter
		}
	}
	return t.Add(skew)
}

// attrValue is the value of el's attribute key in no namespace, "" when it
// has none. etree's SelectAttrValue matches key under any prefix (x:ID as
// well as ID, whichever comes first); a SAML or XML-DSig attribute is
// never prefixed, so a prefixed one is never read in its place.
func attrValue(el *etree.Element, key string) string {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value
		}
	}
	return ""
}
