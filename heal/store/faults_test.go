package store

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Two corrupt state files set aside within one second keep both.
func TestSetAsideTwiceInOneSecondKeepsBoth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	var asides []string
	for _, content := range []string{"{first", "{second", "{third"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadState(path, t0, func(string, ...any) {}); err != nil {
			t.Fatal(err)
		}
		got, _ := filepath.Glob(path + ".corrupt-*")
		asides = got
	}
	if len(asides) != 3 {
		t.Fatalf("set aside: %v, want 3 files", asides)
	}
	var contents []string
	for _, a := range asides {
		b, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, string(b))
	}
	got := strings.Join(contents, " ")
	for _, want := range []string{"{first", "{second", "{third"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lost; kept %v", want, contents)
		}
	}
}

// withHangGuard fails the test if fn does not return within a minute.
func withHangGuard(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s hangs", what)
	}
}

// A state path that is a FIFO (or any non-regular file) is an error, never a
// hang, and is not set aside.
func TestFIFOStateIsAnErrorNotAHang(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "state.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	withHangGuard(t, "ReadState of a FIFO", func() {
		if _, err := ReadState(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("ReadState: %v", err)
		}
	})
	withHangGuard(t, "LoadState of a FIFO", func() {
		if _, err := LoadState(fifo, t0, func(string, ...any) {}); err == nil || !strings.Contains(err.Error(), fifo) {
			t.Errorf("LoadState: %v", err)
		}
	})
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was moved or replaced: %v", err)
	}
	if _, err := ReadState(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("ReadState of a folder: %v", err)
	}
}
