// Package filelock takes an exclusive, non-blocking lock on an open file:
// flock(2) on Unix, LockFileEx on Windows, so the state lock and the watch
// lock build for every platform the release ships.
package filelock

import "os"

// TryLock takes an exclusive lock on f without waiting. It reports false
// (and no error) when another process holds it, or the call was interrupted:
// the caller may try again.
func TryLock(f *os.File) (bool, error) { return tryLock(f) }
