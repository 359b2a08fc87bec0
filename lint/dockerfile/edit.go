package dockerfile

import (
	"bytes"

	"github.com/docker-heal/docker-heal/lint/source"
)

// InstructionText returns the text of the instruction written from line to
// endLine of the Dockerfile (without the last line's ending) and the byte
// offset it starts at, for fixes that rewrite one instruction in place.
func (df *Dockerfile) InstructionText(line, endLine int) (start int, text string, ok bool) {
	if df == nil || df.src == nil || line < 1 || endLine < line {
		return 0, "", false
	}
	start, ok = source.LineStart(df.src, line)
	if !ok {
		return 0, "", false
	}
	end := start
	for l := line; l <= endLine; l++ {
		i := bytes.IndexByte(df.src[end:], '\n')
		if i < 0 {
			end = len(df.src)
			break
		}
		if l == endLine {
			end += i
		} else {
			end += i + 1
		}
	}
	return start, string(bytes.TrimSuffix(df.src[start:end], []byte("\r"))), true
}

// BaseConfig returns the looked-up config of an image stages are built
// FROM (by reference as BaseRefs names it), or nil when it was not.
func (df *Dockerfile) BaseConfig(ref string) *ImageConfig {
	if df == nil {
		return nil
	}
	return df.bases[ref]
}

// Instruction returns the instruction written at pos in the Dockerfile, in
// any stage, or nil.
func (df *Dockerfile) Instruction(pos Position) *Instruction {
	if df == nil || pos.Line == 0 {
		return nil
	}
	for _, st := range df.Stages {
		for i := range st.Instructions {
			if in := &st.Instructions[i]; in.Pos.Line == pos.Line && in.Pos.File == pos.File {
				return in
			}
		}
	}
	return nil
}
