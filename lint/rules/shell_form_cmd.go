package rules

import (
	"path"
	"regexp"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// ShellFormCmd finds a final image whose CMD or ENTRYPOINT is written in shell
// form: the builder wraps it in /bin/sh -c, so PID 1 is the shell, which does
// not forward SIGTERM, and `docker stop` ends in SIGKILL after the timeout.
var ShellFormCmd = lint.Rule{
	ID:              "shell-form-cmd",
	Severity:        lint.SeverityWarning,
	Scope:           lint.ScopeDockerfile | lint.ScopeContainer,
	Summary:         "CMD/ENTRYPOINT in shell form in the final stage: PID 1 is /bin/sh, SIGTERM is not forwarded",
	CheckDockerfile: shellFormCmdDockerfile,
	CheckService:    shellFormCmdService,
	Fix:             "safe, unsafe",
}

// Only the final image matters: a builder stage's CMD never runs. Within it,
// only the CMD and ENTRYPOINT that take effect (the last ones along the FROM
// chain) are read; duplicate-instruction reports the others. A shell-form
// ENTRYPOINT makes the CMD irrelevant, so only the ENTRYPOINT is reported.
func shellFormCmdDockerfile(r *lint.Report, df *lint.Dockerfile) {
	img := df.Image("")
	if img == nil {
		return
	}
	alpine := img.Base == lint.BaseAlpine
	switch {
	case img.EntrypointShell && len(img.Entrypoint) >= 2:
		reportShellForm(r, df, "ENTRYPOINT", img.Entrypoint, img.EntrypointPos, false, alpine)
	case img.CmdShell && len(img.Cmd) >= 2:
		reportShellForm(r, df, "CMD", img.Cmd, img.CmdPos, len(img.Entrypoint) > 0, alpine)
	}
}

// underEntrypoint is set for a shell-form CMD given to an exec-form
// ENTRYPOINT: the entrypoint receives "/bin/sh -c script" as arguments and,
// like docker-entrypoint.sh, usually exec's it.
// argv is what the builder stored: the SHELL (default /bin/sh -c) and the script.
// On an Alpine base /bin/sh is busybox, which, like bash 5.1+, replaces itself
// with a last plain command (see runsLastItself): CMD app --port 80 then runs
// app as PID 1.
func reportShellForm(r *lint.Report, df *lint.Dockerfile, keyword string, argv []string, pos lint.Position, underEntrypoint, alpine bool) {
	script, sh := argv[len(argv)-1], strings.Join(argv[:len(argv)-1], " ")
	if !posixShell(argv[0]) {
		return // SHELL ["powershell", ...], cmd: not a POSIX shell, nor POSIX signals
	}
	s := parseShell(script)
	if s.execsLast() {
		return // CMD exec app: the shell replaces itself, the app is PID 1
	}
	shell := path.Base(argv[0])
	busybox := alpine && (shell == "sh" || shell == "ash")
	if !underEntrypoint && (busybox || shell == "bash") && s.runsLastItself(shell == "bash") {
		return
	}
	subject := stageOf(df, pos).Subject()
	problem := "PID 1 is " + argv[0] + ", which does not pass SIGTERM on"
	if underEntrypoint {
		problem = "the ENTRYPOINT is handed " + sh + ", so the app runs under a shell that does not pass SIGTERM on"
	}
	if s.simple() {
		r.Add(pos, subject, "%s %s is in shell form: %s; write the exec form %s %s", keyword, shorten(script), problem, keyword, execFormOf(s))
		r.Fix(execFormFix(df, pos, keyword, script, s, keyword == "ENTRYPOINT" || underEntrypoint))
		return
	}
	r.Add(pos, subject, "%s %s is in shell form: %s; use the exec form, or end the script with `exec app ...`", keyword, shorten(script), problem)
}

// execFormFix rewrites a one-line shell-form CMD or ENTRYPOINT as its exec
// form, keyword and flags as written. The script must be one plain command
// (simple: no operators, redirections, variables or globs) with no
// backslash or quote the shell would read differently from JSON. Turning
// an ENTRYPOINT into exec form, or a CMD handed to an ENTRYPOINT, changes
// what the program receives as arguments (CMD and run arguments are then
// appended): those fixes are unsafe.
func execFormFix(df *lint.Dockerfile, pos lint.Position, keyword, script string, s shellScript, unsafe bool) *lint.Fix {
	in := df.Instruction(pos)
	if in == nil || in.EndLine != in.Pos.Line || strings.ContainsAny(script, "\\'\"`") || shellOnly[s.commands[0].words[0]] {
		return nil
	}
	start, text, ok := df.InstructionText(in.Pos.Line, in.EndLine)
	if !ok {
		return nil
	}
	m := shellFormRe.FindStringSubmatchIndex(text)
	if m == nil || !strings.EqualFold(text[m[2]:m[3]], keyword) || strings.TrimRight(text[m[1]:], " \t") != script {
		return nil
	}
	end := start + len(strings.TrimRight(text, " \t"))
	return &lint.Fix{
		Unsafe:      unsafe,
		Description: "write " + keyword + " in exec form",
		Edits:       []lint.Edit{{File: df.Path, Start: start + m[1], End: end, Text: execFormOf(s)}},
	}
}

// shellOnly are shell builtins and keywords with no program of that name:
// in exec form they would not run at all.
var shellOnly = map[string]bool{
	"cd": true, "export": true, "source": true, ".": true, "set": true, "unset": true, "ulimit": true,
	"umask": true, "trap": true, "eval": true, "exit": true, "return": true, "wait": true, "read": true,
	"alias": true, "shift": true, "times": true, "type": true, "hash": true, "getopts": true, "local": true,
	"declare": true, "typeset": true, "readonly": true, "let": true, "builtin": true, "command": true,
	"exec": true, ":": true, "if": true, "while": true, "until": true, "for": true, "case": true,
	"function": true, "select": true, "time": true, "coproc": true, "!": true,
}

// shellFormRe finds the keyword (group 1) of a CMD or ENTRYPOINT line and
// the blanks before its script.
var shellFormRe = regexp.MustCompile(`(?i)^\s*(cmd|entrypoint)\s+`)

// A container cannot tell shell form from exec form: the image stores both as
// an argv. The builder writes shell form as exactly ["/bin/sh", "-c", script],
// so that shape is read as shell form; other wrappers (bash -c, sh -ec) are
// shell-wrapper-no-exec's.
func shellFormCmdService(r *lint.Report, svc *lint.Service) {
	if !isContainer(svc) {
		return
	}
	argv, shellForm := svc.Process()
	script, ok := builderShellForm(argv)
	if !ok && shellForm && len(argv) >= 3 {
		script, ok = argv[2], true
	}
	if !ok || parseShell(script).execsLast() {
		return
	}
	r.Add(svc.Pos, svc.Name, "the container runs /bin/sh -c %q (a shell-form CMD or ENTRYPOINT): PID 1 is the shell, which does not pass SIGTERM on; rebuild the image with the exec form, or start the script with exec", shorten(script))
}

// builderShellForm reports whether argv has the shape a shell-form
// instruction produces: ["/bin/sh", "-c", script, ...].
func builderShellForm(argv []string) (string, bool) {
	if len(argv) >= 3 && argv[0] == "/bin/sh" && argv[1] == "-c" {
		return argv[2], true
	}
	return "", false
}

// posixShell says whether a SHELL is one whose scripts this rule can read.
func posixShell(argv0 string) bool {
	switch path.Base(argv0) {
	case "sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox":
		return true
	}
	return false
}
