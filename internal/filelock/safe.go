package filelock

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The state folder may be shared with other users (a world-writable one, or
// a folder another user can write to): a file there may be a symbolic link
// or a hard link they made to a file of ours (root's) that docker heal would
// then truncate, overwrite or append to, or create. So every file docker heal
// writes there is opened with Open, which never follows a symbolic link and
// refuses what is not a plain file of its own, and the folder is checked
// with CheckDir first.

// ErrUnsafe marks a file or folder docker heal refuses to write: the error
// says why.
var ErrUnsafe = errors.New("refused")

// Open opens path as os.OpenFile does, but never follows a symbolic link
// (the last element of path), never blocks on a FIFO, and refuses anything
// but a regular file with a single link. A symbolic link, a FIFO, a device
// or a hard-linked file is an error wrapping ErrUnsafe that says what it is.
func Open(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := openNoFollow(path, flag, perm)
	if err != nil {
		if isSymlinkErr(err) {
			return nil, fmt.Errorf("%w: %s is a symbolic link; docker heal writes only its own plain files there (remove the link, and check who made it)", ErrUnsafe, path)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file (%s)", ErrUnsafe, path, fi.Mode().Type())
	}
	if n := links(fi); n > 1 && flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		f.Close()
		return nil, fmt.Errorf("%w: %s has %d hard links; writing it would change another file too (remove it, and check who linked it)", ErrUnsafe, path, n)
	}
	return f, nil
}

// CreateTemp creates a new file in dir named by pattern (its last "*"
// replaced by random text), as os.CreateTemp does, with O_EXCL and
// O_NOFOLLOW: it never opens what someone else put there.
func CreateTemp(dir, pattern string, perm os.FileMode) (*os.File, error) {
	prefix, suffix := pattern, ""
	if i := strings.LastIndex(pattern, "*"); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	var last error
	for range 100 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:])+suffix)
		f, err := openNoFollow(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrExist) && !isSymlinkErr(err) {
			return nil, err
		}
		last = err
	}
	return nil, fmt.Errorf("creating a temporary file in %s: %w", dir, last)
}

// PrepareDir creates dir (mode 0700) when missing, and checks it with CheckDir.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return CheckDir(dir)
}

// CheckDir refuses a folder other users may write to: one writable by
// everyone unless it is sticky (others cannot remove or rename our files)
// and ours, and one writable by a group that is not ours. The error wraps
// ErrUnsafe and says why and what to do.
func CheckDir(dir string) error { return checkDir(dir) }
