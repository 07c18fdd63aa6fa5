package ssokit

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"

	"github.com/onboardkit/onboardkit/store"
)

// encryptGCM encrypts plain the way IdPs do with AES-GCM (xmlenc11) and
// RSA-OAEP-MGF1P key transport. crewjam's GCM encrypter cannot be used: it
// seals zeros and drops the nonce.
func encryptGCM(t testing.TB, cert *x509.Certificate, plain []byte, keySize int) *etree.Element {
	t.Helper()
	key := make([]byte, keySize)
	nonce := make([]byte, 12)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	ct := aead.Seal(append([]byte(nil), nonce...), nonce, plain, nil)
	ek, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, cert.PublicKey.(*rsa.PublicKey), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	alg := map[int]string{16: "aes128-gcm", 24: "aes192-gcm", 32: "aes256-gcm"}[keySize]
	ed := etree.NewElement("xenc:EncryptedData")
	ed.CreateAttr("xmlns:xenc", nsXMLEnc)
	ed.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", nsXMLEnc11+alg)
	ki := ed.CreateElement("ds:KeyInfo")
	ki.CreateAttr("xmlns:ds", nsDSig)
	eke := ki.CreateElement("xenc:EncryptedKey")
	m := eke.CreateElement("xenc:EncryptionMethod")
	m.CreateAttr("Algorithm", encRSAOAEPMGF1P)
	m.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
	eke.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(ek))
	ed.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(ct))
	return ed
}

func encryptionOn(e *env) {
	e.updateConn(connSAML, func(c *store.Connection) { c.SAML.EncryptedAssertion = true })
}

// replaceEncryptedData swaps the EncryptedData of the response's
// EncryptedAssertion for ed (after signing: an attacker's ciphertext).
func replaceEncryptedData(d *etree.Document, ed *etree.Element) {
	ea := d.FindElement("//EncryptedAssertion")
	for _, c := range ea.ChildElements() {
		ea.RemoveChild(c)
	}
	ea.AddChild(ed)
}

// gcmOf returns a MutateDoc that replaces the assertion's ciphertext with
// an AES-GCM encryption of plain to cert.
func gcmOf(t *testing.T, cert *x509.Certificate, plain string) func(d *etree.Document) {
	return func(d *etree.Document) { replaceEncryptedData(d, encryptGCM(t, cert, []byte(plain), 16)) }
}

// setCipherValue replaces the content ciphertext (the last CipherValue) with raw.
func setCipherValue(raw []byte) func(d *etree.Document) {
	return func(d *etree.Document) {
		cvs := d.FindElements("//EncryptedData/CipherData/CipherValue")
		cvs[len(cvs)-1].SetText(base64.StdEncoding.EncodeToString(raw))
	}
}

func TestSAMLDecryptionRefusals(t *testing.T) {
	keys(t)
	pkcs1 := xmlenc.PKCS1v15()
	enc := func(s *respSpec) { s.EncryptTo = spKey.Cert }
	cases := []attack{
		// Decryption is opt-in: a connection that did not ask for encrypted
		// assertions never applies its key, even to a valid ciphertext.
		{name: "encrypted assertion, encryption not enabled", want: ReasonDecrypt, spec: enc},
		{name: "encrypted assertion in signed response, encryption not enabled", want: ReasonDecrypt,
			spec: func(s *respSpec) { enc(s); s.SignResponse = true }},
		// Key transport: RSA-OAEP only, even inside a signed Response.
		{name: "rsa-1_5 key transport", want: ReasonDecrypt, setup: encryptionOn,
			spec: func(s *respSpec) { enc(s); s.EncKey, s.EncCipher = &pkcs1, xmlenc.AES128CBC }},
		{name: "rsa-1_5 key transport in signed response", want: ReasonDecrypt, setup: encryptionOn,
			spec: func(s *respSpec) { enc(s); s.SignResponse, s.EncKey, s.EncCipher = true, &pkcs1, xmlenc.AES128CBC }},
		// AES-CBC is malleable: only inside a Response verified first.
		{name: "AES-CBC in an unsigned response", want: ReasonDecrypt, setup: encryptionOn,
			spec: func(s *respSpec) { enc(s); s.EncCipher = xmlenc.AES256CBC }},
		{name: "3DES in signed response", want: ReasonDecrypt, setup: encryptionOn,
			spec: func(s *respSpec) { enc(s); s.SignResponse, s.EncCipher = true, xmlenc.TripleDES }},
		// The Response signature is verified before anything is decrypted.
		{name: "signed response, encrypted assertion swapped after signing", want: ReasonBadSignature, setup: encryptionOn,
			spec: func(s *respSpec) {
				enc(s)
				s.SignResponse = true
				s.MutateDoc = gcmOf(t, spKey.Cert, "<x/>")
			}},
		// Short and ragged ciphertexts panicked inside crewjam's xmlenc.
		{name: "4-byte GCM ciphertext", want: ReasonDecrypt, setup: encryptionOn,
			spec: func(s *respSpec) { enc(s); s.MutateDoc = setCipherValue([]byte("abcd")) }},
		{name: "17-byte CBC ciphertext in signed response", want: ReasonBadSignature, setup: encryptionOn,
			spec: func(s *respSpec) {
				enc(s)
				s.SignResponse, s.EncCipher = true, xmlenc.AES128CBC
				s.MutateDoc = setCipherValue(make([]byte, 17))
			}},
	}
	runAttacks(t, cases)
}

// TestSAMLDecryptionUniform checks that the ACS is no decryption oracle:
// a key the SP cannot unwrap, a ciphertext that does not authenticate and
// plaintexts that are not an assertion all get the same status, reason and
// detail.
func TestSAMLDecryptionUniform(t *testing.T) {
	keys(t)
	cases := []struct {
		name   string
		mutate func(d *etree.Document)
	}{
		{"encrypted to another key", gcmOf(t, evilKey.Cert, "<x/>")},
		{"tampered ciphertext", func(d *etree.Document) {
			cvs := d.FindElements("//EncryptedData/CipherData/CipherValue")
			raw, _ := base64.StdEncoding.DecodeString(cvs[len(cvs)-1].Text())
			raw[20] ^= 1
			cvs[len(cvs)-1].SetText(base64.StdEncoding.EncodeToString(raw))
		}},
		{"short ciphertext", setCipherValue([]byte{1, 2, 3})},
		{"garbled plaintext", gcmOf(t, spKey.Cert, "\xff\xfe not XML <<<")},
		{"plaintext with a DOCTYPE", gcmOf(t, spKey.Cert, `<!DOCTYPE x><x/>`)},
		{"plaintext not an assertion", gcmOf(t, spKey.Cert, `<x xmlns="urn:example"/>`)},
		{"plaintext with a comment", gcmOf(t, spKey.Cert, `<saml:Assertion xmlns:saml="`+nsAssertion+`"><!-- --></saml:Assertion>`)},
		{"plaintext with a nested assertion", gcmOf(t, spKey.Cert, `<saml:Assertion xmlns:saml="`+nsAssertion+`"><saml:Assertion/></saml:Assertion>`)},
	}
	var status int
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			encryptionOn(e)
			b := e.browser()
			id := b.startSAML(t, "connection="+connSAML)
			raw := respSpec{InResponseTo: id, EncryptTo: spKey.Cert, MutateDoc: tc.mutate}.build(t)
			w := b.postSAML(connSAML, raw, id)
			assertRefused(t, e, w, ReasonDecrypt)
			if i == 0 {
				status = w.Code
			} else if w.Code != status {
				t.Errorf("status %d, first case had %d", w.Code, status)
			}
			if !strings.Contains(e.logs.String(), `detail="cannot decrypt the assertion"`) {
				t.Errorf("detail is not the uniform one:\n%s", e.logs)
			}
		})
	}
	if status != 403 {
		t.Errorf("status %d, want 403", status)
	}
}

// TestDecryptCiphertextShapes feeds ragged ciphertexts straight to the
// decrypter, CBC allowed (as after a verified Response signature): errors,
// never a panic.
func TestDecryptCiphertextShapes(t *testing.T) {
	keys(t)
	build := func(alg string, ct []byte) *etree.Element {
		ed := encryptGCM(t, spKey.Cert, []byte("x"), 16) // a 128-bit key fits both ciphers
		ed.FindElement("./EncryptionMethod").CreateAttr("Algorithm", alg)
		cvs := ed.FindElements("//CipherValue")
		cvs[len(cvs)-1].SetText(base64.StdEncoding.EncodeToString(ct))
		ea := etree.NewElement("saml:EncryptedAssertion")
		ea.CreateAttr("xmlns:saml", nsAssertion)
		ea.AddChild(ed)
		return ea
	}
	cbc := nsXMLEnc + "aes128-cbc"
	gcm := nsXMLEnc11 + "aes128-gcm"
	cases := []struct {
		name string
		alg  string
		ct   []byte
	}{
		{"GCM 4 bytes", gcm, []byte("abcd")},
		{"GCM 27 bytes", gcm, make([]byte, 27)},
		{"GCM empty", gcm, nil},
		{"CBC 17 bytes", cbc, make([]byte, 17)},
		{"CBC one block", cbc, make([]byte, 16)},
		{"CBC zero padding", cbc, make([]byte, 32)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decryptEncryptedAssertion(spKey.Key, build(tc.alg, tc.ct), true); err == nil {
				t.Fatal("decrypted")
			}
		})
	}
}

// TestSPMetadataEncryptionKey: the encryption key is advertised only when
// the connection decrypts, with AES-GCM and RSA-OAEP only.
func TestSPMetadataEncryptionKey(t *testing.T) {
	keys(t)
	e := newEnv(t, nil)
	get := func() string {
		w := e.browser().get("/saml/" + connSAML + "/metadata")
		if w.Code != 200 {
			t.Fatalf("metadata: %d", w.Code)
		}
		return w.Body.String()
	}
	if md := get(); strings.Contains(md, `use="encryption"`) {
		t.Errorf("metadata of a connection without encryption:\n%s", md)
	}
	encryptionOn(e)
	md := get()
	if !strings.Contains(md, `use="encryption"`) || !strings.Contains(md, "aes256-gcm") ||
		strings.Contains(md, "-cbc") || strings.Contains(md, "rsa-1_5") {
		t.Errorf("metadata of a connection with encryption:\n%s", md)
	}
}
