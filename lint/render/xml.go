package render

import (
	"encoding/xml"
	"io"
)

// writeXML writes doc as an indented XML document with its header, as the
// junit and checkstyle formats both do.
func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
