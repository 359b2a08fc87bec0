package lint

// Bounds on the work a file may ask of the linter. Each is far beyond what a
// person writes, and each turns a file that would cost minutes and gigabytes
// into an invalid-file error naming file:line.

// maxInterpolationDepth bounds ${A:-${B:-...}} nesting in compose and env
// files: compose-go's substitution is quadratic or worse in it (3,000 deep
// took 9 s, 10,000 deep over a minute).
const maxInterpolationDepth = 32

// interpolationDepth returns the deepest ${ nesting in src and the line where
// it first reaches that depth. $$ is a literal dollar.
func interpolationDepth(src []byte) (depth, line int) {
	cur, ln := 0, 1
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\n':
			ln++
		case '$':
			if i+1 < len(src) && src[i+1] == '$' {
				i++
				continue
			}
			if i+1 < len(src) && src[i+1] == '{' {
				i++
				cur++
				if cur > depth {
					depth, line = cur, ln
				}
			}
		case '}':
			if cur > 0 {
				cur--
			}
		}
	}
	return depth, line
}

// checkInterpolation refuses a compose or env file nested deeper than
// maxInterpolationDepth, before compose-go substitutes it.
func checkInterpolation(path string, src []byte) error {
	if d, line := interpolationDepth(src); d > maxInterpolationDepth {
		return refused(path, line, "variables nested %d deep (${A:-${B:-...}}), more than the %d a person writes: not interpolated", d, maxInterpolationDepth)
	}
	return nil
}

// checkEnvFile is the guard for an env file compose-go will read and
// interpolate (.env, --env-file, env_file:): CheckFile's, and the nesting bound.
func checkEnvFile(path string) error {
	if err := CheckFile(path); err != nil {
		return err
	}
	src, err := ReadSource(path)
	if err != nil {
		if isRefused(err) {
			return err
		}
		return nil // unreadable: the caller's own open says so
	}
	return checkInterpolation(path, src)
}
