package gworkspace

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MaxKeySize bounds the service-account key file accepted by PutKey. Keys
// that Google issues are about 2.3 KB.
const MaxKeySize = 16 << 10

// ServiceAccountKey is what onboardkit reads from a service-account key
// file (the JSON file the Google Cloud console downloads). The private key
// is never exported from the package.
type ServiceAccountKey struct {
	ClientEmail  string // the service account's email
	ClientID     string // the numeric client id that domain-wide delegation is granted to
	PrivateKeyID string
	ProjectID    string
	privateKey   *rsa.PrivateKey
	raw          []byte
}

// ErrBadKey is wrapped by ParseKey's errors.
var ErrBadKey = errors.New("gworkspace: not a service-account key file")

// ParseKey parses and checks a service-account key file: JSON of type
// "service_account" with a client email, a numeric client id and an RSA
// private key in PEM (PKCS #8 or PKCS #1).
func ParseKey(data []byte) (*ServiceAccountKey, error) {
	if len(data) > MaxKeySize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadKey, MaxKeySize)
	}
	var f struct {
		Type         string `json:"type"`
		ProjectID    string `json:"project_id"`
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
		ClientEmail  string `json:"client_email"`
		ClientID     string `json:"client_id"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: not JSON", ErrBadKey)
	}
	if f.Type != "service_account" {
		return nil, fmt.Errorf("%w: type is %q, want \"service_account\"", ErrBadKey, f.Type)
	}
	if f.ClientEmail == "" || strings.ContainsAny(f.ClientEmail, " \t\r\n") || !strings.Contains(f.ClientEmail, "@") {
		return nil, fmt.Errorf("%w: no valid client_email", ErrBadKey)
	}
	if f.ClientID == "" || strings.Trim(f.ClientID, "0123456789") != "" || len(f.ClientID) > 32 {
		return nil, fmt.Errorf("%w: client_id is not a number", ErrBadKey)
	}
	block, _ := pem.Decode([]byte(f.PrivateKey))
	if block == nil {
		return nil, fmt.Errorf("%w: private_key is not PEM", ErrBadKey)
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: private_key is not RSA", ErrBadKey)
		}
		key = rk
	} else if rk, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		key = rk
	} else {
		return nil, fmt.Errorf("%w: private_key does not parse", ErrBadKey)
	}
	if key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("%w: RSA key shorter than 2048 bits", ErrBadKey)
	}
	return &ServiceAccountKey{
		ClientEmail: f.ClientEmail, ClientID: f.ClientID, PrivateKeyID: f.PrivateKeyID, ProjectID: f.ProjectID,
		privateKey: key, raw: append([]byte{}, data...),
	}, nil
}

func pemOf(k *ServiceAccountKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k.privateKey)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
