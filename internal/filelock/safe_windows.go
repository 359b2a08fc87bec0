//go:build windows

package filelock

import "os"

// Windows has no O_NOFOLLOW; creating symbolic links there needs a privilege
// ordinary users lack by default, and folder permissions are ACLs.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, flag, perm)
}

func isSymlinkErr(error) bool { return false }

func links(os.FileInfo) uint64 { return 1 }

func checkDir(dir string) error {
	_, err := os.Stat(dir)
	return err
}
