package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/filelock"
)

// AuditLog is --audit-log as a heal.AuditLog.
type AuditLog struct{ Path string }

// Append appends the records as JSON lines.
func (a AuditLog) Append(_ context.Context, recs []heal.AuditRecord) error {
	return AppendAudit(a.Path, recs)
}

// AppendAudit appends records to the audit log as JSON lines (mode 0600 when created).
func AppendAudit(path string, recs []heal.AuditRecord) error {
	if len(recs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("audit log %s: %w", path, err)
		}
	}
	// Never through a symbolic or hard link: the records hold text a
	// container controls (its probe output), and root writes them.
	f, err := filelock.Open(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if errors.Is(err, filelock.ErrUnsafe) {
		return fmt.Errorf("audit log: %w", err)
	}
	if err != nil {
		return fmt.Errorf("audit log %s: %w (check the folder exists and is writable)", path, err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("audit log %s: %w", path, err)
	}
	return nil
}
