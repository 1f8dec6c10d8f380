package httpapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// readCreds reads the source's secret from the environment or a file,
// afresh for every sync so that a rotated token is picked up without a
// restart. Messages name the variable or file, never the secret.
func readCreds(o *options, baseDir string) (*creds, error) {
	switch o.auth {
	case authBearer:
		tok, where, err := readSecret(o.tokenEnv, o.tokenFile, baseDir, "token")
		if err != nil {
			return nil, err
		}
		return &creds{header: "Bearer " + tok, secrets: []string{tok}, hint: "check the token in " + where}, nil
	case authBasic:
		pw, where, err := readSecret(o.passwordEnv, o.passwordFile, baseDir, "password")
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString([]byte(o.username + ":" + pw))
		return &creds{header: "Basic " + enc, secrets: []string{pw, enc}, hint: "check the user name and the password in " + where}, nil
	}
	return &creds{}, nil
}

// readSecret returns the secret from env (a variable's name) or file, and
// where it came from. Surrounding whitespace, such as the newline an
// editor adds to a file, is not part of it.
func readSecret(env, file, baseDir, what string) (secret, where string, err error) {
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", "", fmt.Errorf("auth: environment variable %s (the %s) is not set", env, what)
		}
		if v = strings.TrimSpace(v); v == "" {
			return "", "", fmt.Errorf("auth: environment variable %s (the %s) is empty", env, what)
		}
		return v, "environment variable " + env, nil
	}
	p := file
	if !filepath.IsAbs(p) && baseDir != "" {
		p = filepath.Join(baseDir, p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", "", fmt.Errorf("auth: read the %s file %s: %w", what, file, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", "", fmt.Errorf("auth: the %s file %s is empty", what, file)
	}
	return v, "file " + file, nil
}
