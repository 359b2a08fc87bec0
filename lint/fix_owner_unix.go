//go:build unix

package lint

import (
	"fmt"
	"os"
	"syscall"
)

// keepOwner gives the fixed file the original's owner and group, so that
// `sudo docker heal lint --fix` leaves a user's file theirs. When that is
// not allowed (another user's group-writable file), it refuses rather than
// take the file over.
func keepOwner(tmp *os.File, st os.FileInfo) error {
	orig, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	now, err := tmp.Stat()
	if err != nil {
		return err
	}
	if cur, ok := now.Sys().(*syscall.Stat_t); ok && cur.Uid == orig.Uid && cur.Gid == orig.Gid {
		return nil
	}
	if err := tmp.Chown(int(orig.Uid), int(orig.Gid)); err != nil {
		return fmt.Errorf("the file is owned by uid %d gid %d and the fixed file could not keep that owner (%v): fix it as its owner, or print the fixes with --diff", orig.Uid, orig.Gid, err)
	}
	return nil
}
