package source

import "bytes"

// LineStart returns the byte offset of 1-based line in src (after a UTF-8 BOM
// on line 1).
func LineStart(src []byte, line int) (int, bool) {
	if line < 1 {
		return 0, false
	}
	at := 0
	if line == 1 && bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		at = 3
	}
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[at:], '\n')
		if i < 0 {
			return 0, false
		}
		at += i + 1
	}
	return at, true
}
