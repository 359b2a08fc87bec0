// Package ghaction holds the test of the GitHub Action in action.yml: it
// runs the action's steps the way a runner does (each run: block with
// GitHub's bash command line, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_WORKSPACE,
// RUNNER_TEMP, the inputs as INPUT_* and as substituted expressions).
package ghaction
