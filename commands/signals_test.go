package commands

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestInterruptibleFirstSignalCancelsSecondExits(t *testing.T) {
	exited := make(chan int, 1)
	var errOut lockedBuffer
	ctx, stop := interruptible(context.Background(), &errOut, func(code int) { exited <- code })
	defer stop()

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not cancel the round's context")
	}
	var intr errInterrupted
	if !errors.As(context.Cause(ctx), &intr) || intr.sig != syscall.SIGTERM {
		t.Errorf("cause %v, want interrupted by SIGTERM", context.Cause(ctx))
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != 130 {
			t.Errorf("second signal (SIGINT) exits %d, want 130", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second signal did not exit")
	}
	if s := errOut.String(); !bytes.Contains([]byte(s), []byte("finishing the restarts in flight")) || !bytes.Contains([]byte(s), []byte("exiting at once")) {
		t.Errorf("stderr: %q", s)
	}
}
