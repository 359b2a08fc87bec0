package commands

import (
	"bytes"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// plainTableOptions render a table the way `docker ps` does: no borders, no
// lines, columns separated by spaces, headers as written.
func plainTableOptions() []tablewriter.Option {
	return []tablewriter.Option{
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off, ShowTop: tw.Off, ShowBottom: tw.Off, ShowFooterLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "   ", Overwrite: true}),
		tablewriter.WithTrimSpace(tw.Off),
	}
}

// newPlainTable is a docker-ps-style table on out. Call flush after Render:
// tablewriter pads the last column too, and lines end without that padding.
func newPlainTable(out io.Writer) (table *tablewriter.Table, flush func() error) {
	var buf bytes.Buffer
	table = tablewriter.NewTable(&buf, plainTableOptions()...)
	return table, func() error {
		lines := bytes.Split(buf.Bytes(), []byte("\n"))
		for i := range lines {
			lines[i] = bytes.TrimRight(lines[i], " ")
		}
		_, err := out.Write(bytes.Join(lines, []byte("\n")))
		return err
	}
}
