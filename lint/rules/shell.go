package rules

import (
	"path"
	"regexp"
	"strings"
)

// This file reads POSIX shell the way several rules need to: which commands a
// script runs, whether its last command is exec'd, whether it traps SIGTERM,
// and which argv runs a script through `sh -c`. It is a tokenizer, not a full
// parser: quotes, escapes, comments, line continuations, $(...), `...` and
// ${...} are honoured; compound commands (if, while, { }) are seen as words.

// shellCommand is one simple command of a script.
type shellCommand struct {
	// words are the command's words with quotes removed; assignments and
	// redirections are not words.
	words []string
	// assigns are the NAME=value prefixes; redirects counts redirections.
	assigns   []string
	redirects int
	// before and after are the operators around the command: ";", "&&",
	// "||", "|", "&", "\n", or "" at the start or end of the script.
	before, after string
}

// shellScript is a tokenized script: its commands in order, and the scripts
// of its command substitutions ($(...) and `...`), which run too.
type shellScript struct {
	commands      []shellCommand
	substitutions []string
}

var assignmentRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=`)

// parseShell tokenizes script. It never fails: unterminated quotes end at the
// end of the script, as a linter must read what it is given.
func parseShell(script string) shellScript {
	var (
		out        shellScript
		cmd        shellCommand
		word       strings.Builder
		inWord     bool
		quoted     bool // the current word had quotes: "" is a word
		redirNext  bool // the next word is a redirection target
		pendingSep string
	)
	finishWord := func() {
		if !inWord {
			return
		}
		w := word.String()
		word.Reset()
		inWord, quoted = false, false
		switch {
		case redirNext:
			redirNext = false
		case len(cmd.words) == 0 && assignmentRe.MatchString(w):
			cmd.assigns = append(cmd.assigns, w)
		default:
			cmd.words = append(cmd.words, w)
		}
	}
	finishCommand := func(op string) {
		finishWord()
		cmd.after = op
		switch {
		case len(cmd.words) > 0 || len(cmd.assigns) > 0 || cmd.redirects > 0:
			cmd.before = pendingSep
			out.commands = append(out.commands, cmd)
			pendingSep = op
		case pendingSep == "|" || pendingSep == "&&" || pendingSep == "||":
			// `a |\n b`: the line break does not end the pipeline.
		default:
			pendingSep = op
		}
		cmd = shellCommand{}
	}
	rs := []rune(script)
	n := len(rs)
	// capture returns the text up to the rune that closes open at depth 0,
	// honouring quotes, and the index after it.
	capture := func(i int, open, closeR rune) (string, int) {
		depth := 1
		start := i
		for i < n {
			c := rs[i]
			switch {
			case c == '\\' && i+1 < n:
				i += 2
				continue
			case c == '\'' && open != '`':
				j := i + 1
				for j < n && rs[j] != '\'' {
					j++
				}
				i = j + 1
				continue
			case c == closeR && (open == '`' || depth == 1):
				return string(rs[start:i]), i + 1
			case c == open && open != '`':
				depth++
			case c == closeR:
				depth--
			}
			i++
		}
		return string(rs[start:]), n
	}
	for i := 0; i < n; {
		c := rs[i]
		switch {
		case c == '\\':
			if i+1 < n && rs[i+1] == '\n' {
				i += 2 // line continuation
				continue
			}
			if i+1 < n {
				word.WriteRune(rs[i+1])
			}
			inWord = true
			i += 2
		case c == '\'':
			j := i + 1
			for j < n && rs[j] != '\'' {
				j++
			}
			word.WriteString(string(rs[i+1 : min(j, n)]))
			inWord, quoted = true, true
			i = j + 1
		case c == '"':
			j := i + 1
			for j < n && rs[j] != '"' {
				switch {
				case rs[j] == '\\' && j+1 < n:
					if strings.ContainsRune("\"\\$`\n", rs[j+1]) {
						if rs[j+1] != '\n' {
							word.WriteRune(rs[j+1])
						}
					} else {
						word.WriteRune('\\')
						word.WriteRune(rs[j+1])
					}
					j += 2
					continue
				case rs[j] == '$' && j+1 < n && rs[j+1] == '(' && !(j+2 < n && rs[j+2] == '('):
					sub, next := capture(j+2, '(', ')')
					out.substitutions = append(out.substitutions, sub)
					word.WriteString("$(" + sub + ")")
					j = next
					continue
				case rs[j] == '`':
					sub, next := capture(j+1, '`', '`')
					out.substitutions = append(out.substitutions, sub)
					word.WriteString("`" + sub + "`")
					j = next
					continue
				}
				word.WriteRune(rs[j])
				j++
			}
			inWord, quoted = true, true
			i = j + 1
		case c == '$' && i+1 < n && rs[i+1] == '(':
			sub, next := capture(i+2, '(', ')')
			if !strings.HasPrefix(sub, "(") { // $(( arithmetic )) runs nothing
				out.substitutions = append(out.substitutions, sub)
			}
			word.WriteString("$(" + sub + ")")
			i = next
			inWord = true
		case c == '$' && i+1 < n && rs[i+1] == '{':
			sub, next := capture(i+2, '{', '}')
			word.WriteString("${" + sub + "}")
			inWord = true
			i = next
		case c == '`':
			sub, next := capture(i+1, '`', '`')
			out.substitutions = append(out.substitutions, sub)
			word.WriteString("`" + sub + "`")
			inWord = true
			i = next
		case c == '#' && !inWord:
			for i < n && rs[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\r':
			finishWord()
			i++
		case c == '\n':
			finishCommand("\n")
			i++
		case c == ';':
			if i+1 < n && rs[i+1] == ';' {
				finishCommand(";;")
				i += 2
			} else {
				finishCommand(";")
				i++
			}
		case c == '&':
			switch {
			case i+1 < n && rs[i+1] == '&':
				finishCommand("&&")
				i += 2
			case i+1 < n && rs[i+1] == '>': // &> file
				finishWord()
				cmd.redirects++
				redirNext = true
				i += 2
				if i < n && rs[i] == '>' {
					i++
				}
			default:
				finishCommand("&")
				i++
			}
		case c == '|':
			switch {
			case i+1 < n && rs[i+1] == '|':
				finishCommand("||")
				i += 2
			case i+1 < n && rs[i+1] == '&':
				finishCommand("|")
				i += 2
			default:
				finishCommand("|")
				i++
			}
		case c == '>' || c == '<':
			// A word of digits right before is the file descriptor: 2>&1.
			if inWord && !quoted && isDigits(word.String()) {
				word.Reset()
				inWord = false
			} else {
				finishWord()
			}
			cmd.redirects++
			i++
			for i < n && (rs[i] == '>' || rs[i] == '<' || rs[i] == '|') {
				i++
			}
			if i < n && rs[i] == '&' { // >&2, <&0: the target is a descriptor
				i++
				for i < n && (rs[i] >= '0' && rs[i] <= '9' || rs[i] == '-') {
					i++
				}
				continue
			}
			redirNext = true
		case c == '(' || c == ')':
			finishWord()
			cmd.words = append(cmd.words, string(c))
			i++
		default:
			word.WriteRune(c)
			inWord = true
			i++
		}
	}
	finishCommand("")
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// last returns the script's last command, or nil for an empty script.
func (s shellScript) last() *shellCommand {
	if len(s.commands) == 0 {
		return nil
	}
	return &s.commands[len(s.commands)-1]
}

// execsLast reports whether the script's last command replaces the shell:
// `exec app ...`, not in a pipeline nor in the background.
func (s shellScript) execsLast() bool {
	c := s.last()
	if c == nil || c.before == "|" || c.after == "|" || c.after == "&" {
		return false
	}
	return isExecCommand(c.words)
}

// isExecCommand is true for `exec [-cl] [-a name] [--] cmd ...`; a bare
// `exec >log` only redirects and leaves the shell in place.
func isExecCommand(words []string) bool {
	if len(words) == 0 || words[0] != "exec" {
		return false
	}
	for i := 1; i < len(words); i++ {
		switch w := words[i]; {
		case w == "--":
			return i+1 < len(words)
		case w == "-a":
			i++
		case strings.HasPrefix(w, "-") && len(w) > 1:
		default:
			return true
		}
	}
	return false
}

// trapsTerm reports whether the script installs a trap for SIGTERM (or INT,
// QUIT): a wrapper written to forward signals stays PID 1 on purpose.
func (s shellScript) trapsTerm() bool {
	for _, c := range s.commands {
		if len(c.words) < 3 || c.words[0] != "trap" {
			continue
		}
		for _, sig := range c.words[2:] {
			switch strings.ToUpper(strings.TrimPrefix(strings.ToUpper(sig), "SIG")) {
			case "TERM", "INT", "QUIT", "15", "2", "3":
				return true
			}
		}
	}
	return false
}

// simple reports whether the script is one simple command with no
// redirection and no variables, which the exec form can say directly.
func (s shellScript) simple() bool {
	if len(s.commands) != 1 || len(s.substitutions) > 0 {
		return false
	}
	c := s.commands[0]
	if c.redirects > 0 || len(c.assigns) > 0 || c.after == "&" || len(c.words) == 0 {
		return false
	}
	for _, w := range c.words {
		if strings.ContainsAny(w, "$*?[]~(){}") {
			return false
		}
	}
	return true
}

// shells are the programs that run a script given with -c.
var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true}

// shellWrapper returns the script an argv runs through a shell's -c, the
// shell, and whether argv is such a wrapper: ["sh","-c",script],
// ["/bin/bash","-euo","pipefail","-c",script], ["busybox","sh","-c",script].
func shellWrapper(argv []string) (script, shell string, ok bool) {
	if len(argv) < 3 {
		return "", "", false
	}
	i := 0
	if path.Base(argv[0]) == "busybox" {
		i = 1
	}
	shell = path.Base(argv[i])
	if !shells[shell] {
		return "", "", false
	}
	hasC := false
	for i++; i < len(argv); i++ {
		a := argv[i]
		if a == "--" || a == "-" {
			i++
			break
		}
		if len(a) < 2 || (a[0] != '-' && a[0] != '+') {
			break
		}
		if strings.HasPrefix(a, "--") { // --login, --norc, --posix
			if a == "--rcfile" || a == "--init-file" {
				i++
			}
			continue
		}
		letters := a[1:]
		if strings.ContainsRune(letters, 'c') {
			hasC = true
		}
		if strings.ContainsAny(letters, "oO") { // -o pipefail: the option name follows
			i++
		}
	}
	if !hasC || i >= len(argv) {
		return "", "", false
	}
	return argv[i], shell, true
}

// inits are programs that run as PID 1, reap zombies and forward signals.
var inits = map[string]bool{
	"tini": true, "tini-static": true, "dumb-init": true, "catatonit": true, "docker-init": true,
	"s6-svscan": true, "runsvdir": true, "my_init": true, "supervisord": true, "systemd": true,
}

// isInit reports whether argv0 names an init: by base name, or s6-overlay's
// /init and /sbin/init by path.
func isInit(argv0 string) bool {
	if argv0 == "/init" || argv0 == "/sbin/init" {
		return true
	}
	base := path.Base(argv0)
	return inits[base] || strings.HasPrefix(base, "tini-")
}

// afterInit returns the argv an init runs: tini -s -- app -> app. It returns
// argv unchanged when argv does not start with an init.
func afterInit(argv []string) []string {
	if len(argv) == 0 || !isInit(argv[0]) {
		return argv
	}
	for i := 1; i < len(argv); i++ {
		if argv[i] == "--" {
			return argv[i+1:]
		}
		if !strings.HasPrefix(argv[i], "-") {
			return argv[i:]
		}
	}
	return nil
}

// shorten cuts a script for a message.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// execFormOf renders a simple script as a JSON exec form: ["node", "app.js"].
func execFormOf(s shellScript) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, w := range s.commands[0].words {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(jsonQuote(w))
	}
	b.WriteByte(']')
	return b.String()
}

func jsonQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
