package peersim

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// devTLSDir is the directory under DataDir where a development-mode peer
// with chaincode TLS writes the files of DevTLSFiles.
const devTLSDir = "chaincode-tls"

// devTLSClientName is the common name of the client certificate that a
// development-mode peer issues for all the chaincode developers start: its
// admission does not tie a certificate to a chaincode id.
const devTLSClientName = "peersim development chaincode"

// writeDevTLS issues the development-mode client certificate from the
// chaincode CA and writes it, its key and the CA certificate to
// DataDir/chaincode-tls, replacing those of an earlier start.
func (p *Peer) writeDevTLS() (*DevTLSFiles, error) {
	kp, err := p.ccCA.IssueClient(devTLSClientName)
	if err != nil {
		return nil, fmt.Errorf("development-mode chaincode TLS: %w", err)
	}
	dir := filepath.Join(p.cfg.DataDir, devTLSDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("development-mode chaincode TLS: %w", err)
	}
	f := &DevTLSFiles{
		RootCert:         filepath.Join(dir, "ca.crt"),
		ClientCert:       filepath.Join(dir, "client.crt"),
		ClientKey:        filepath.Join(dir, "client.key"),
		ClientCertBase64: filepath.Join(dir, "client.crt.b64"),
		ClientKeyBase64:  filepath.Join(dir, "client.key.b64"),
	}
	for _, w := range []struct {
		path string
		data []byte
	}{
		{f.RootCert, p.ccCA.CertPEM()},
		{f.ClientCert, kp.CertPEM},
		{f.ClientKey, kp.KeyPEM},
		{f.ClientCertBase64, []byte(base64.StdEncoding.EncodeToString(kp.CertPEM))},
		{f.ClientKeyBase64, []byte(base64.StdEncoding.EncodeToString(kp.KeyPEM))},
	} {
		if err := os.WriteFile(w.path, w.data, 0o600); err != nil {
			return nil, fmt.Errorf("development-mode chaincode TLS: %w", err)
		}
	}
	return f, nil
}
