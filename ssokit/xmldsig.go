package ssokit

import (
	"bytes"
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// This file verifies enveloped XML signatures on the tree the message was
// read into, once: no re-parse of the document, no encoding/xml pass over
// the Signature, one copy of the signed element. The canonicalizers are
// goxmldsig's (etreeutils.TransformExcC14n and its inclusive ones); what
// is read after verification comes from the signed element's copy: with
// exclusive c14n (what IdPs use) the very tree the digested bytes encode,
// canonicalized in place; with inclusive c14n the detached copy whose
// canonical form was digested, which differs from it only in attribute
// order and namespace declarations that repeat one in scope (comments,
// processing instructions and xml: attributes, which canonicalization
// would change, are refused before).

var digestHashes = map[string]crypto.Hash{
	digestSHA1:   crypto.SHA1,
	digestSHA256: crypto.SHA256,
	digestSHA384: crypto.SHA384,
	digestSHA512: crypto.SHA512,
}

// canonicalWrite is how goxmldsig serializes a canonicalized tree.
var canonicalWrite = etree.WriteSettings{CanonicalAttrVal: true, CanonicalEndTags: true, CanonicalText: true}

// signedInfo is what ssokit uses of a SignedInfo, all checked against the
// allowlist.
type signedInfo struct {
	c14n        string // CanonicalizationMethod
	method      string // SignatureMethod
	transform   string // the reference's canonicalization transform
	prefixList  string // its InclusiveNamespaces PrefixList (exclusive c14n)
	digest      crypto.Hash
	digestValue []byte
}

// verifyEnveloped verifies the enveloped signature sig, a direct child of
// el, with one of sp's certificates, and returns the verified copy of el:
// detached from its ancestors (their namespace declarations made its own),
// without sig, canonicalized in place under exclusive c14n (see the file
// comment for inclusive c14n). Everything the caller reads from the
// message after this comes from that copy.
func verifyEnveloped(sp *samlSP, el, sig *etree.Element, now time.Time) (*etree.Element, *LoginError) {
	id := attrValue(el, "ID")
	if id == "" {
		return nil, refuse(ReasonBadSignature, "signed <%s> has no ID", el.Tag)
	}
	if sig.Parent() != el {
		return nil, refuse(ReasonStructure, "signature is not a child of the signed element")
	}
	if le := checkSignatureShape(sig); le != nil {
		return nil, le
	}
	si, _ := oneChild(sig, nsDSig, "SignedInfo") // checkSignatureShape: exactly one
	pre, le := readSignedInfo(si, id, sp.allowSHA1)
	if le != nil {
		return nil, le
	}
	alg, ok := redirectSigAlgs[pre.method]
	if !ok {
		return nil, refuse(ReasonAlgorithm, "signature algorithm is not allowed")
	}
	// The reference names el by its ID: no other element of the document
	// may carry that ID, whatever a consumer would resolve it to.
	if n := countID(topElement(el), id); n != 1 {
		return nil, refuse(ReasonStructure, "%d elements carry the signed ID", n)
	}

	// Pick candidate certificates: the one in KeyInfo when it is trusted;
	// every trusted one when KeyInfo has no certificate. A KeyInfo without
	// a certificate (a bare KeyValue) names no trusted key and is ignored.
	candidates := sp.certs
	xc := sig.FindElement("./KeyInfo/X509Data/X509Certificate")
	if xc != nil {
		c, err := parseBase64Cert(xc.Text())
		if err != nil {
			return nil, &LoginError{Reason: ReasonBadSignature, Detail: "unreadable certificate in KeyInfo", Err: err, TrustedThumbprints: sp.thumbs}
		}
		tp := thumbprint(c)
		var match *x509.Certificate
		for i, t := range sp.thumbs {
			if t == tp {
				match = sp.certs[i]
			}
		}
		if match == nil {
			le := refuse(ReasonUnknownCertificate, "signed with a certificate the connection does not trust")
			le.CertificateThumbprints = []string{tp}
			le.TrustedThumbprints = sp.thumbs
			return nil, le
		}
		candidates = []*x509.Certificate{match}
	}
	var valid []*x509.Certificate
	var expired []string
	for _, c := range candidates {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			expired = append(expired, thumbprint(c))
			continue
		}
		valid = append(valid, c)
	}
	if len(valid) == 0 {
		le := refuse(ReasonCertificateExpired, "the signing certificate is outside its validity period")
		le.CertificateThumbprints = expired
		le.TrustedThumbprints = sp.thumbs
		le.Now = now
		return nil, le
	}
	sv, _ := oneChild(sig, nsDSig, "SignatureValue")
	sigValue, err := base64.StdEncoding.DecodeString(stripSpace(sv.Text()))
	if err != nil || len(sigValue) == 0 {
		return nil, &LoginError{Reason: ReasonBadSignature, Detail: "unreadable SignatureValue", Err: err, TrustedThumbprints: sp.thumbs}
	}

	// SignedInfo: canonicalize a detached copy and verify it. Only that
	// copy is read from here on.
	ctx, err := etreeutils.NSBuildParentContext(si)
	var siCopy *etree.Element
	if err == nil {
		siCopy, err = etreeutils.NSDetatch(ctx, si)
	}
	if err != nil {
		return nil, &LoginError{Reason: ReasonMalformed, Detail: "namespace resolution failed", Err: err}
	}
	siBytes, err := canonicalize(siCopy, pre.c14n, "")
	if err != nil {
		return nil, &LoginError{Reason: ReasonMalformed, Detail: "cannot canonicalize SignedInfo", Err: err}
	}
	var lastErr error
	verified := false
	for _, c := range valid {
		if lastErr = c.CheckSignature(alg, siBytes, sigValue); lastErr == nil {
			verified = true
			break
		}
	}
	if !verified {
		le := &LoginError{Reason: ReasonBadSignature, Detail: fmt.Sprintf("signature on <%s> does not verify with the connection's certificates", el.Tag), Err: lastErr}
		if xc == nil {
			le.Reason = ReasonUnknownCertificate
			le.Detail = "signature does not verify with any certificate the connection trusts (no certificate in KeyInfo)"
		}
		le.TrustedThumbprints = sp.thumbs
		return nil, le
	}
	// The reference, from the verified SignedInfo.
	ref, le := readSignedInfo(siCopy, id, sp.allowSHA1)
	if le != nil {
		return nil, le
	}
	if ref.method != pre.method || ref.c14n != pre.c14n {
		return nil, refuse(ReasonBadSignature, "SignedInfo changed in canonicalization")
	}

	// The referenced element: a detached copy, the enveloped signature
	// removed, canonicalized with the reference's transform and digested.
	ctx, err = etreeutils.NSBuildParentContext(el)
	var signed *etree.Element
	if err == nil {
		signed, err = etreeutils.NSDetatch(ctx, el)
	}
	if err != nil {
		return nil, &LoginError{Reason: ReasonMalformed, Detail: "namespace resolution failed", Err: err}
	}
	i := sig.Index()
	if i < 0 || i >= len(signed.Child) {
		return nil, refuse(ReasonStructure, "signature not found in the signed element's copy")
	}
	if c, ok := signed.Child[i].(*etree.Element); !ok || c.Tag != sig.Tag || c.Space != sig.Space {
		return nil, refuse(ReasonStructure, "signature not found in the signed element's copy")
	}
	signed.RemoveChildAt(i)
	refBytes, err := canonicalize(signed, ref.transform, ref.prefixList)
	if err != nil {
		return nil, &LoginError{Reason: ReasonMalformed, Detail: "cannot canonicalize the signed element", Err: err}
	}
	h := ref.digest.New()
	h.Write(refBytes)
	if sum := h.Sum(nil); subtle.ConstantTimeCompare(sum, ref.digestValue) != 1 {
		return nil, &LoginError{Reason: ReasonBadSignature, Detail: fmt.Sprintf("digest of <%s> does not match its signature", el.Tag), TrustedThumbprints: sp.thumbs}
	}
	return signed, nil
}

// canonicalize serializes el in canonical form with alg. Exclusive c14n
// transforms el in place (so that el is then the tree the bytes encode)
// and is written without a copy; the inclusive ones are goxmldsig's.
func canonicalize(el *etree.Element, alg, prefixList string) ([]byte, error) {
	switch dsig.AlgorithmID(alg) {
	case dsig.CanonicalXML10ExclusiveAlgorithmId:
		if err := etreeutils.TransformExcC14n(el, prefixList, false); err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.Grow(4096)
		el.WriteTo(&b, &canonicalWrite)
		return b.Bytes(), nil
	case dsig.CanonicalXML11AlgorithmId:
		return dsig.MakeC14N11Canonicalizer().Canonicalize(el)
	case dsig.CanonicalXML10RecAlgorithmId:
		return dsig.MakeC14N10RecCanonicalizer().Canonicalize(el)
	}
	return nil, fmt.Errorf("canonicalization %q is not allowed", truncate(alg, 100))
}

// checkSignatureShape: a Signature has exactly one SignedInfo and one
// SignatureValue, at most one KeyInfo, and nothing else (no Object).
func checkSignatureShape(sig *etree.Element) *LoginError {
	var si, sv, ki int
	for c := range sig.ChildElementsSeq() {
		if c.NamespaceURI() != nsDSig {
			return refuse(ReasonBadSignature, "element of foreign namespace in Signature")
		}
		switch c.Tag {
		case "SignedInfo":
			si++
		case "SignatureValue":
			sv++
		case "KeyInfo":
			ki++
		default:
			return refuse(ReasonBadSignature, "unexpected <%s> in Signature", truncate(c.Tag, 60))
		}
	}
	if si != 1 || sv != 1 || ki > 1 {
		return refuse(ReasonBadSignature, "signature must have one SignedInfo, one SignatureValue and at most one KeyInfo")
	}
	return nil
}

// readSignedInfo enforces the algorithm allowlist and that si has exactly
// one reference, to the element with ID id, whose transforms are the
// enveloped-signature transform and one canonicalization.
func readSignedInfo(si *etree.Element, id string, allowSHA1 bool) (*signedInfo, *LoginError) {
	alg := func(parent *etree.Element, tag string) (string, *LoginError) {
		e, err := oneChild(parent, nsDSig, tag)
		if err != nil || e == nil {
			return "", refuse(ReasonBadSignature, "signature without exactly one %s", tag)
		}
		return attrValue(e, "Algorithm"), nil
	}
	bad := func(what, a string) *LoginError {
		le := refuse(ReasonAlgorithm, "%s algorithm %q is not allowed", what, truncate(a, 100))
		le.Algorithm = a
		return le
	}
	out := &signedInfo{}
	var le *LoginError
	n := 0
	for c := range si.ChildElementsSeq() {
		if c.NamespaceURI() != nsDSig {
			return nil, refuse(ReasonBadSignature, "element of foreign namespace in SignedInfo")
		}
		n++
	}
	if out.c14n, le = alg(si, "CanonicalizationMethod"); le != nil {
		return nil, le
	}
	if !allowedC14N[out.c14n] {
		return nil, bad("canonicalization", out.c14n)
	}
	if out.method, le = alg(si, "SignatureMethod"); le != nil {
		return nil, le
	}
	if !allowedSigMethods[out.method] && !(allowSHA1 && sha1SigMethods[out.method]) {
		return nil, bad("signature", out.method)
	}
	refs := childrenNS(si, nsDSig, "Reference")
	if len(refs) != 1 {
		return nil, refuse(ReasonBadSignature, "signature must have exactly one Reference, has %d", len(refs))
	}
	if n != 3 {
		return nil, refuse(ReasonBadSignature, "unexpected elements in SignedInfo")
	}
	ref := refs[0]
	if uri := attrValue(ref, "URI"); uri != "#"+id {
		return nil, refuse(ReasonBadSignature, "signature reference %q is not the signed element's ID", truncate(uri, 100))
	}
	tr, err := oneChild(ref, nsDSig, "Transforms")
	if err != nil {
		return nil, refuse(ReasonBadSignature, "%v", err)
	}
	if tr == nil {
		return nil, refuse(ReasonBadSignature, "reference without the enveloped-signature transform")
	}
	ts := tr.ChildElements()
	if len(ts) > 2 {
		return nil, refuse(ReasonBadSignature, "too many transforms")
	}
	enveloped := 0
	for _, t := range ts {
		a := attrValue(t, "Algorithm")
		if t.Tag != "Transform" || t.NamespaceURI() != nsDSig || !allowedTransforms[a] {
			return nil, bad("transform", a)
		}
		if a == string(dsig.EnvelopedSignatureAltorithmId) {
			enveloped++
			continue
		}
		out.transform = a
		if a == string(dsig.CanonicalXML10ExclusiveAlgorithmId) {
			for c := range t.ChildElementsSeq() {
				if c.Tag == "InclusiveNamespaces" && c.NamespaceURI() == string(dsig.CanonicalXML10ExclusiveAlgorithmId) {
					out.prefixList = attrValue(c, "PrefixList")
				}
			}
		}
	}
	if enveloped != 1 {
		return nil, refuse(ReasonBadSignature, "reference without the enveloped-signature transform")
	}
	if out.transform == "" {
		return nil, refuse(ReasonBadSignature, "reference without a canonicalization transform")
	}
	dm, le := alg(ref, "DigestMethod")
	if le != nil {
		return nil, le
	}
	if !allowedDigests[dm] && !(allowSHA1 && dm == digestSHA1) {
		return nil, bad("digest", dm)
	}
	out.digest = digestHashes[dm]
	dv, err := oneChild(ref, nsDSig, "DigestValue")
	if err != nil || dv == nil {
		return nil, refuse(ReasonBadSignature, "reference without exactly one DigestValue")
	}
	out.digestValue, err = base64.StdEncoding.DecodeString(stripSpace(dv.Text()))
	if err != nil || len(out.digestValue) != out.digest.Size() {
		return nil, refuse(ReasonBadSignature, "malformed DigestValue")
	}
	return out, nil
}

func topElement(el *etree.Element) *etree.Element {
	for el.Parent() != nil {
		el = el.Parent()
	}
	return el
}

// countID counts the elements under root (root included) whose ID
// attribute is id.
func countID(root *etree.Element, id string) int {
	n := 0
	stack := make([]*etree.Element, 1, 32)
	stack[0] = root
	for len(stack) > 0 {
		el := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, a := range el.Attr {
			if a.Space == "" && a.Key == "ID" && a.Value == id {
				n++
			}
		}
		for _, t := range el.Child {
			if c, ok := t.(*etree.Element); ok {
				stack = append(stack, c)
			}
		}
	}
	return n
}
