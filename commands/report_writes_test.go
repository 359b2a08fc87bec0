package commands

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/render"
	"github.com/docker-heal/docker-heal/lint/rules"
)

// countingWriter counts the Write calls it gets: each one is a system call
// when the writer is standard output.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// The report reaches standard output in a few large writes, not one a line,
// with the same bytes as an unbuffered render.
func TestReportWritesBuffered(t *testing.T) {
	checker := &lint.Checker{Rules: rules.All()}
	res, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{filepath.Join("testdata", "corpus", "awesome-compose")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) < 20 {
		t.Fatalf("want a report of many lines, got %d findings", len(res.Findings))
	}
	for _, format := range []string{"text", "json"} {
		opts := render.Options{Rules: rules.All(), Version: "test"}
		var want bytes.Buffer
		if err := render.Render(&want, res, format, opts); err != nil {
			t.Fatal(err)
		}
		var got countingWriter
		if err := writeReport(&got, res, reportOutput{format: format}, opts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: the buffered report differs from the unbuffered one", format)
		}
		if limit := 1 + want.Len()/(64<<10); got.writes > limit {
			t.Errorf("%s: %d writes for %d bytes, want at most %d", format, got.writes, want.Len(), limit)
		}
	}
}
