package dockerengine

import (
	"regexp"
)

// userinfoPassword matches the password of a URL's userinfo anywhere in a
// text: scheme://user:PASSWORD@host. DOCKER_HOST=ssh://user:pw@host carries
// one (the CLI refuses it, but its error and ours would print it).
var userinfoPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@"'?#]*):[^\s/@"'?#]*@`)

// Redact returns s with the password of every URL in it replaced by
// "xxxxx", as url.URL.Redacted does; the user name and host stay, so the
// text still says which engine. Every error and log line naming an engine
// endpoint goes through it.
func Redact(s string) string {
	return userinfoPassword.ReplaceAllString(s, "${1}:xxxxx@")
}

// redactedError is err with its text redacted; errors.Is and As still see err.
type redactedError struct{ err error }

func (r redactedError) Error() string { return Redact(r.err.Error()) }
func (r redactedError) Unwrap() error { return r.err }

// RedactError returns err with any endpoint password in its text replaced;
// nil stays nil, and an error without one is returned as it is.
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	if msg := err.Error(); Redact(msg) == msg {
		return err
	}
	return redactedError{err}
}
