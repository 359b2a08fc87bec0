package source

// ParseError is a file (Dockerfile, compose or env file) that cannot be read
// or parsed, at its position.
type ParseError struct {
	Pos Position
	Msg string
	// Refused is set when the file guard would not read or parse the file
	// (not a regular file, too big, binary, nested too deep).
	Refused bool
	// Service is the compose service the error is in, when known, and
	// ServiceIgnores its x-docker-heal ignore list.
	Service        string
	ServiceIgnores []string
}

func (e *ParseError) Error() string { return e.Pos.String() + ": " + e.Msg }
