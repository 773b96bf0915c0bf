// Package tlstest makes the certificates of a test: a CA, a server
// certificate for localhost and 127.0.0.1, and a client certificate, all
// written as PEM files.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Files are the PEM files of one test's certificates.
type Files struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	// Server is the server's key pair; Clients the pool that verifies
	// client certificates (and servers': the same CA signs both).
	Server tls.Certificate
	Pool   *x509.CertPool
}

// New makes the certificates in t's temporary directory.
func New(t testing.TB) Files {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "backorders test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	issue := func(serial int64, name string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		return der, key
	}
	write := func(name, kind string, der []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
		return path
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalECPrivateKey(k)
		require.NoError(t, err)
		return der
	}
	f := Files{CA: write("ca.pem", "CERTIFICATE", caDER), Pool: x509.NewCertPool()}
	f.Pool.AddCert(ca)
	serverDER, serverKey := issue(2, "localhost", x509.ExtKeyUsageServerAuth)
	f.ServerCert, f.ServerKey = write("server.pem", "CERTIFICATE", serverDER), write("server-key.pem", "EC PRIVATE KEY", keyDER(serverKey))
	clientDER, clientKey := issue(3, "backorders worker", x509.ExtKeyUsageClientAuth)
	f.ClientCert, f.ClientKey = write("client.pem", "CERTIFICATE", clientDER), write("client-key.pem", "EC PRIVATE KEY", keyDER(clientKey))
	f.Server, err = tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	require.NoError(t, err)
	return f
}
