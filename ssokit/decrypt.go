package ssokit

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/beevik/etree"
)

const (
	nsXMLEnc   = "http://www.w3.org/2001/04/xmlenc#"
	nsXMLEnc11 = "http://www.w3.org/2009/xmlenc11#"

	encRSAOAEPMGF1P = nsXMLEnc + "rsa-oaep-mgf1p"
	encRSAOAEP11    = nsXMLEnc11 + "rsa-oaep"

	maxEncryptedAssertion = 4 << 20 // ciphertext bytes, well above MaxResponseSize defaults
)

// Content encryption algorithms: AES-GCM always; AES-CBC only inside a
// Response whose signature was verified before decryption (the signature
// then covers the ciphertext, so a padding oracle has nothing to work on).
var (
	gcmKeySizes = map[string]int{
		nsXMLEnc11 + "aes128-gcm": 16,
		nsXMLEnc11 + "aes192-gcm": 24,
		nsXMLEnc11 + "aes256-gcm": 32,
	}
	cbcKeySizes = map[string]int{
		nsXMLEnc + "aes128-cbc": 16,
		nsXMLEnc + "aes192-cbc": 24,
		nsXMLEnc + "aes256-cbc": 32,
	}
	oaepDigests = map[string]crypto.Hash{
		"":                                       crypto.SHA1,
		"http://www.w3.org/2000/09/xmldsig#sha1": crypto.SHA1,
		"http://www.w3.org/2001/04/xmlenc#sha256": crypto.SHA256,
		"http://www.w3.org/2001/04/xmlenc#sha512": crypto.SHA512,
		// Written by crewjam/saml and the IdPs built on it.
		"http://www.w3.org/2000/09/xmldsig#sha256": crypto.SHA256,
	}
	oaepMGFs = map[string]crypto.Hash{
		"":                        crypto.SHA1,
		nsXMLEnc11 + "mgf1sha1":   crypto.SHA1,
		nsXMLEnc11 + "mgf1sha256": crypto.SHA256,
		nsXMLEnc11 + "mgf1sha512": crypto.SHA512,
	}
)

// decryptFailed is the one diagnosis of every decryption failure and every
// failure to read what was decrypted: the reason, the HTTP status and the
// detail are the same whatever went wrong, so that the ACS is no oracle on
// the SP key (Bleichenbacher, Manger) or on the ciphertext (padding). The
// cause goes to Err, which only the log sees.
func decryptFailed(cause error) *LoginError {
	return &LoginError{Reason: ReasonDecrypt, Detail: "cannot decrypt the assertion", Err: cause}
}

// decryptEncryptedAssertion returns the plaintext of a saml:EncryptedAssertion
// with sp's key. Key transport must be RSA-OAEP; the content cipher AES-GCM,
// or AES-CBC when allowCBC (the enclosing Response's signature verified).
// It never panics on hostile input.
func decryptEncryptedAssertion(key *rsa.PrivateKey, enc *etree.Element, allowCBC bool) (plain []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			plain, err = nil, fmt.Errorf("decryption panicked: %v", r)
		}
	}()
	if key == nil {
		return nil, errors.New("the connection has no SP key")
	}
	data, err := oneChild(enc, nsXMLEnc, "EncryptedData")
	if err != nil || data == nil {
		return nil, errors.New("EncryptedAssertion without exactly one EncryptedData")
	}
	alg, err := encryptionAlgorithm(data)
	if err != nil {
		return nil, err
	}
	keySize, gcm := gcmKeySizes[alg], true
	if keySize == 0 {
		if keySize = cbcKeySizes[alg]; keySize == 0 || !allowCBC {
			if keySize != 0 {
				return nil, fmt.Errorf("content encryption %q is only accepted in a signed Response", alg)
			}
			return nil, fmt.Errorf("content encryption %q is not allowed", truncate(alg, 100))
		}
		gcm = false
	}
	// The EncryptedKey sits in EncryptedData/KeyInfo (ADFS, Okta, Entra) or
	// next to EncryptedData (Shibboleth): exactly one of them.
	var eks []*etree.Element
	if ki, err := oneChild(data, nsDSig, "KeyInfo"); err != nil {
		return nil, err
	} else if ki != nil {
		eks = append(eks, childrenNS(ki, nsXMLEnc, "EncryptedKey")...)
	}
	eks = append(eks, childrenNS(enc, nsXMLEnc, "EncryptedKey")...)
	if len(eks) != 1 {
		return nil, fmt.Errorf("%d EncryptedKey elements, want exactly one", len(eks))
	}
	ct, err := cipherValue(data)
	if err != nil {
		return nil, err
	}
	if gcm && len(ct) < 12+16 {
		return nil, errors.New("GCM ciphertext too short")
	}
	if !gcm && (len(ct) < 2*aes.BlockSize || len(ct)%aes.BlockSize != 0) {
		return nil, errors.New("CBC ciphertext is not whole blocks of at least two")
	}
	cek, unwrapErr := unwrapKey(key, eks[0], keySize)
	if unwrapErr != nil {
		if errors.Is(unwrapErr, errKeyRefused) {
			return nil, unwrapErr
		}
		// As TLS does against Bleichenbacher: go on with a random key, so
		// that a bad key costs the same as a bad ciphertext.
		cek = make([]byte, keySize)
		_, _ = rand.Read(cek)
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	if gcm {
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		plain, err := aead.Open(nil, ct[:12], ct[12:], nil)
		if unwrapErr != nil {
			return nil, unwrapErr
		}
		return plain, err
	}
	out := make([]byte, len(ct)-aes.BlockSize)
	cipher.NewCBCDecrypter(block, ct[:aes.BlockSize]).CryptBlocks(out, ct[aes.BlockSize:])
	if unwrapErr != nil {
		return nil, unwrapErr
	}
	// XML Encryption padding: the last byte is the pad length (1..16); the
	// other pad bytes are arbitrary.
	pad := int(out[len(out)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, errors.New("bad CBC padding")
	}
	return out[:len(out)-pad], nil
}

func encryptionAlgorithm(el *etree.Element) (string, error) {
	m, err := oneChild(el, nsXMLEnc, "EncryptionMethod")
	if err != nil || m == nil {
		return "", fmt.Errorf("<%s> without exactly one EncryptionMethod", el.Tag)
	}
	return attrValue(m, "Algorithm"), nil
}

func cipherValue(el *etree.Element) ([]byte, error) {
	cd, err := oneChild(el, nsXMLEnc, "CipherData")
	if err != nil || cd == nil {
		return nil, fmt.Errorf("<%s> without exactly one CipherData", el.Tag)
	}
	cv, err := oneChild(cd, nsXMLEnc, "CipherValue")
	if err != nil || cv == nil {
		return nil, fmt.Errorf("<%s> without exactly one CipherValue", el.Tag)
	}
	s := stripSpace(cv.Text())
	if base64.StdEncoding.DecodedLen(len(s)) > maxEncryptedAssertion {
		return nil, errors.New("ciphertext too large")
	}
	return base64.StdEncoding.DecodeString(s)
}

// errKeyRefused marks a key transport refused before the private key is
// used (algorithm or shape): nothing secret depends on it.
var errKeyRefused = errors.New("key transport refused")

// unwrapKey decrypts the content key of ek with RSA-OAEP and checks its
// length. Other key transports (rsa-1_5, key agreement, key wrap) are
// refused before the private key is used.
func unwrapKey(key *rsa.PrivateKey, ek *etree.Element, keySize int) ([]byte, error) {
	m, err := oneChild(ek, nsXMLEnc, "EncryptionMethod")
	if err != nil || m == nil {
		return nil, fmt.Errorf("%w: EncryptedKey without exactly one EncryptionMethod", errKeyRefused)
	}
	alg := attrValue(m, "Algorithm")
	if alg != encRSAOAEPMGF1P && alg != encRSAOAEP11 {
		return nil, fmt.Errorf("%w: key transport %q is not allowed (RSA-OAEP only)", errKeyRefused, truncate(alg, 100))
	}
	digest, mgf := "", ""
	for c := range m.ChildElementsSeq() {
		switch {
		case c.Tag == "DigestMethod" && c.NamespaceURI() == nsDSig:
			digest = attrValue(c, "Algorithm")
		case c.Tag == "MGF" && c.NamespaceURI() == nsXMLEnc11 && alg == encRSAOAEP11:
			mgf = attrValue(c, "Algorithm")
		case c.Tag == "OAEPparams":
			return nil, fmt.Errorf("%w: OAEP parameters are not supported", errKeyRefused)
		}
	}
	h, ok := oaepDigests[digest]
	mh, mok := oaepMGFs[mgf]
	if !ok || !mok {
		return nil, fmt.Errorf("%w: OAEP digest %q / MGF %q not allowed", errKeyRefused, truncate(digest, 100), truncate(mgf, 100))
	}
	ct, err := cipherValue(ek)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errKeyRefused, err)
	}
	if len(ct) != key.Size() {
		return nil, fmt.Errorf("%w: encrypted key length does not match the SP key", errKeyRefused)
	}
	cek, err := key.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: h, MGFHash: mh})
	if err != nil && mgf == "" && h != mh {
		// Some libraries (crewjam/saml among them) use the digest for MGF1
		// too when no MGF is named.
		cek, err = key.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: h, MGFHash: h})
	}
	if err != nil {
		return nil, errors.New("RSA-OAEP decryption of the content key failed")
	}
	if subtle.ConstantTimeEq(int32(len(cek)), int32(keySize)) != 1 {
		return nil, errors.New("content key length does not match the algorithm")
	}
	return cek, nil
}
