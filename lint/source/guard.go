package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Every file a lint run reads goes through this guard: the compose files,
// .env and --env-file, env_file: and label_file: entries, include: and
// extends.file targets, and Dockerfiles. A repository is untrusted input: a
// FIFO would block a read forever, /dev/zero would never end, a huge or
// deeply nested file would cost minutes. compose-go reads several of these
// files itself, so they are checked here before it is called (see preflight).

// MaxFileSize bounds what a loader reads (and what lint - reads from standard input): no Dockerfile, compose or env file is 16 MiB.
const MaxFileSize = 16 << 20

// readDeadline bounds one read of a regular file (a hung network file system).
const readDeadline = 10 * time.Second

// Refused is the ParseError of a file the guard will not read or parse.
func Refused(path string, line int, format string, args ...any) *ParseError {
	return &ParseError{Pos: Position{File: path, Line: line}, Msg: fmt.Sprintf(format, args...), Refused: true}
}

// fileKind names what a non-regular file is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a folder"
	}
	return "not a regular file"
}

// checkRegular refuses a stat result that is not a regular file under the size cap.
func checkRegular(path string, st fs.FileInfo) error {
	if st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if !st.Mode().IsRegular() {
		return Refused(path, 0, "not a regular file: %s; only regular files are read", fileKind(st.Mode()))
	}
	if st.Size() > MaxFileSize {
		return Refused(path, 0, "file is %d bytes, more than the %d a compose, env or Dockerfile can reasonably be", st.Size(), MaxFileSize)
	}
	return nil
}

// CheckFile is the guard for a file another reader (compose-go) will read:
// it must be a regular file under the size cap. A missing file is not the
// guard's business (os.IsNotExist(err) tells).
func CheckFile(path string) error {
	st, err := os.Stat(path) // follows symlinks: a link to /dev/zero is a device
	if err != nil {
		return err
	}
	return checkRegular(path, st)
}

// ReadSource reads a file for a loader: regular files only (a FIFO, device
// or socket is Refused without being opened for a blocking read), at most
// MaxFileSize bytes, within readDeadline, and no binary content.
func ReadSource(path string) ([]byte, error) {
	if err := CheckFile(path); err != nil {
		return nil, err
	}
	// O_NONBLOCK: if the file was swapped for a FIFO since the stat, the open
	// does not wait for a writer, and the fstat below refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = checkRegular(path, st)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	src, err := readWithDeadline(f, path)
	if err != nil {
		return nil, err
	}
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, Refused(path, 1, "binary content (NUL byte): not a text file")
	}
	return src, nil
}

// readWithDeadline reads at most MaxFileSize bytes of f, giving up after
// readDeadline; it closes f.
func readWithDeadline(f *os.File, path string) ([]byte, error) {
	type result struct {
		src []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
		done <- result{src, err}
	}()
	timer := time.NewTimer(readDeadline)
	defer timer.Stop()
	select {
	case r := <-done:
		f.Close()
		if r.err != nil {
			return nil, r.err
		}
		if len(r.src) > MaxFileSize {
			return nil, Refused(path, 0, "file grew past %d bytes while being read", MaxFileSize)
		}
		return r.src, nil
	case <-timer.C:
		f.Close() // unblocks the reader where the file system allows it
		return nil, Refused(path, 0, "reading took longer than %v: the file system does not answer", readDeadline)
	}
}

// IsRefused says whether err is the guard refusing a file.
func IsRefused(err error) bool {
	var pe *ParseError
	return errors.As(err, &pe) && pe.Refused
}

// ReadFailure says why a file could not be read, without the path (the
// finding names it already).
func ReadFailure(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// UsableInTree says whether a walk may read path: a regular file, or a
// symlink whose target stays under root. A link out of the linted tree is
// not followed (naming it as a PATH argument is the user's choice).
func UsableInTree(root, path string) bool {
	st, err := os.Lstat(path)
	if err != nil {
		return false
	}
	if st.Mode()&fs.ModeSymlink == 0 {
		return true
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(realRoot, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
