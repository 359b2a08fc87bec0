// Package sarifcheck validates SARIF reports in tests against the official
// SARIF 2.1.0 schema shipped in testdata/sarif-2.1.0, with its formats
// asserted as RFC 3986 defines them.
package sarifcheck

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaPath is the schema file in this repository.
func SchemaPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sarif-2.1.0", "sarif-schema-2.1.0.json")
}

// Schema compiles the SARIF 2.1.0 schema.
func Schema() (*jsonschema.Schema, error) {
	f, err := os.Open(SchemaPath())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	// The library checks uri and uri-reference with Go's url.Parse, which
	// takes a space; RFC 3986, which the formats name (and strict validators
	// such as ajv-formats check), does not.
	c.RegisterFormat(&jsonschema.Format{Name: "uri", Validate: rfc3986(true)})
	c.RegisterFormat(&jsonschema.Format{Name: "uri-reference", Validate: rfc3986(false)})
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("sarif-schema-2.1.0.json")
}

// Validate checks a SARIF document against the schema.
func Validate(s *jsonschema.Schema, sarif []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(sarif))
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return s.Validate(inst)
}

// rfc3986 checks a URI (or, when absolute is false, a URI reference) has
// only the characters RFC 3986 allows, percent signs only in %XX triplets,
// and parses.
func rfc3986(absolute bool) func(v any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '%':
				if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
					return fmt.Errorf("%q: %% not followed by two hex digits", s)
				}
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0:
			default:
				return fmt.Errorf("%q: %q is not allowed in a URI (RFC 3986): percent-encode it", s, c)
			}
		}
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		if absolute && !u.IsAbs() {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
		return nil
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
