//go:build unix

package filelock

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, perm)
}

// isSymlinkErr: open(2) with O_NOFOLLOW on a symbolic link fails with ELOOP
// (EMLINK on FreeBSD, EFTYPE on NetBSD; errno names differ, the cases are rare).
func isSymlinkErr(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}

func links(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a folder", ErrUnsafe, dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mode := fi.Mode()
	euid, egid := os.Geteuid(), os.Getegid()
	switch {
	case mode.Perm()&0o002 != 0 && (mode&os.ModeSticky == 0 || int(st.Uid) != euid):
		why := "not sticky"
		if mode&os.ModeSticky != 0 {
			why = fmt.Sprintf("owned by uid %d, not us (uid %d)", st.Uid, euid)
		}
		return fmt.Errorf("%w: the state folder %s (mode %s) is writable by every user and %s: another user could put links there that make docker heal overwrite other files; use a folder only we can write to (chmod o-w, or --state-file elsewhere)", ErrUnsafe, dir, mode.Perm(), why)
	case mode.Perm()&0o020 != 0 && int(st.Gid) != egid:
		return fmt.Errorf("%w: the state folder %s (mode %s) is writable by group %d, not ours: its members could put links there that make docker heal overwrite other files; chmod g-w it or use --state-file elsewhere", ErrUnsafe, dir, mode.Perm(), st.Gid)
	}
	return nil
}
