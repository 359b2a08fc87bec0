package lint

import "github.com/docker-heal/docker-heal/lint/source"

// The types below live in leaf packages the loaders share (lint/source);
// lint re-exports them so rules and commands keep one import.

// Position is a place in a source file (source.Position).
type Position = source.Position

// Ignores are the rules silenced inside one file by pragmas (source.Ignores).
type Ignores = source.Ignores

// IgnoreRange silences rules on a range of lines (source.IgnoreRange).
type IgnoreRange = source.IgnoreRange

// Pragma is one ignore comment (source.Pragma).
type Pragma = source.Pragma

// ScanPragmas finds the ignore comments of a file's text (source.ScanPragmas).
func ScanPragmas(src []byte) []Pragma { return source.ScanPragmas(src) }

// BuildIgnores turns pragmas into ranges over spans (source.BuildIgnores).
func BuildIgnores(pragmas []Pragma, spans [][2]int) *Ignores {
	return source.BuildIgnores(pragmas, spans)
}

// ParseError is a file that cannot be read or parsed (source.ParseError).
type ParseError = source.ParseError

// ReadSource reads a file through the guard (source.ReadSource).
func ReadSource(path string) ([]byte, error) { return source.ReadSource(path) }

// CheckFile is the guard for a file another reader will read (source.CheckFile).
func CheckFile(path string) error { return source.CheckFile(path) }

func refused(path string, line int, format string, args ...any) *ParseError {
	return source.Refused(path, line, format, args...)
}

func isRefused(err error) bool { return source.IsRefused(err) }

func readFailure(err error) string { return source.ReadFailure(err) }

func usableInTree(root, path string) bool { return source.UsableInTree(root, path) }

// MaxFileSize is the most lint reads of one file (source.MaxFileSize).
const MaxFileSize = source.MaxFileSize
