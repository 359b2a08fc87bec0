package dockerengine

import (
	"errors"
	"strings"
	"testing"
)

func TestRedactHidesEndpointPasswords(t *testing.T) {
	for in, want := range map[string]string{
		"ssh://user:PW@host":                           "ssh://user:xxxxx@host",
		`parse "ssh://u:s3cr%40t@h:22x": invalid port`: `parse "ssh://u:xxxxx@h:22x": invalid port`,
		"at tcp://a:b@10.0.0.1:2376 and ssh://c:d@e":   "at tcp://a:xxxxx@10.0.0.1:2376 and ssh://c:xxxxx@e",
		"ssh://user@host":                              "ssh://user@host",
		"unix:///var/run/docker.sock":                  "unix:///var/run/docker.sock",
		"a:b@c without a scheme":                       "a:b@c without a scheme",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	base := errors.New(`dial ssh://user:PW@host: refused`)
	err := RedactError(base)
	if strings.Contains(err.Error(), "PW") || !errors.Is(err, base) {
		t.Errorf("RedactError: %q (Is base: %v)", err, errors.Is(err, base))
	}
	if plain := errors.New("x"); RedactError(plain) != plain {
		t.Error("an error without a password is wrapped")
	}
}
