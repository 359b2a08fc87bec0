package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, opts ProjectOptions) *Project {
	t.Helper()
	p, err := LoadProject(context.Background(), opts)
	if err != nil {
		t.Fatalf("LoadProject(%+v): %v", opts, err)
	}
	return p
}

func service(t *testing.T, p *Project, name string) *Service {
	t.Helper()
	for _, s := range p.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("service %q not loaded; have %d services", name, len(p.Services))
	return nil
}

func TestInterpolationAndEnvFiles(t *testing.T) {
	p := load(t, ProjectOptions{WorkingDir: "testdata/interp"})
	web := service(t, p, "web")
	if web.Image != "nginx:1.27" || web.MemLimit != 256<<20 {
		t.Errorf(".env: got image %q mem %d, want nginx:1.27 and 256m", web.Image, web.MemLimit)
	}
	p = load(t, ProjectOptions{WorkingDir: "testdata/interp", EnvFiles: []string{"testdata/interp/prod.env"}})
	web = service(t, p, "web")
	if web.Image != "nginx:latest" || web.MemLimit != 1<<30 {
		t.Errorf("--env-file: got image %q mem %d, want nginx:latest and 1g", web.Image, web.MemLimit)
	}
}

func TestOverrideMergingAndPositions(t *testing.T) {
	p := load(t, ProjectOptions{WorkingDir: "testdata/override", NoUpwardSearch: true})
	api := service(t, p, "api")
	if api.Restart.Name != "unless-stopped" || api.MemLimit != 512<<20 {
		t.Errorf("override not merged: restart %q mem %d", api.Restart.Name, api.MemLimit)
	}
	// The service is defined in compose.yaml; its restart key wins from the override.
	if got := api.Pos; filepath.Base(got.File) != "compose.yaml" || got.Line != 2 || got.Col != 3 {
		t.Errorf("api position = %v, want compose.yaml:2:3", got)
	}
	if got := api.At("restart"); filepath.Base(got.File) != "compose.override.yaml" || got.Line != 3 {
		t.Errorf("restart position = %v, want compose.override.yaml:3", got)
	}
	if len(p.Files) != 2 {
		t.Errorf("files = %v, want compose.yaml and compose.override.yaml", p.Files)
	}
	// Several -f files merge in order; the override file is not added then.
	p = load(t, ProjectOptions{ConfigFiles: []string{"testdata/override/compose.yaml", "testdata/override/compose.prod.yaml"}})
	worker := service(t, p, "worker")
	if worker.MemLimit != 1<<30 {
		t.Errorf("-f merge: worker memory %d, want 1g", worker.MemLimit)
	}
	if got := worker.At("deploy.resources.limits.memory"); filepath.Base(got.File) != "compose.prod.yaml" || got.Line != 6 {
		t.Errorf("memory position = %v, want compose.prod.yaml:6", got)
	}
	if service(t, p, "api").Restart.Name != "always" {
		t.Errorf("-f without the override file must not merge compose.override.yaml")
	}
}

func TestExtends(t *testing.T) {
	p := load(t, ProjectOptions{WorkingDir: "testdata/extends", NoUpwardSearch: true})
	web := service(t, p, "web")
	if web.Restart.Name != "unless-stopped" || web.Healthcheck == nil || web.Healthcheck.Interval != 10*time.Second {
		t.Fatalf("extends not applied: restart %q healthcheck %+v", web.Restart.Name, web.Healthcheck)
	}
	if got := web.At("healthcheck"); filepath.Base(got.File) != "common.yaml" || got.Line != 5 {
		t.Errorf("healthcheck position = %v, want common.yaml:5 (the extended file)", got)
	}
	if filepath.Base(web.Pos.File) != "compose.yaml" {
		t.Errorf("service position = %v, want compose.yaml", web.Pos)
	}
}

func TestProfiles(t *testing.T) {
	names := func(p *Project) string {
		var out []string
		for _, s := range p.Services {
			out = append(out, s.Name)
		}
		return strings.Join(out, ",")
	}
	// A linter sees every service by default, whatever its profiles (and
	// whatever COMPOSE_PROFILES says: that is a deploy choice).
	t.Setenv("COMPOSE_PROFILES", "debug")
	p := load(t, ProjectOptions{WorkingDir: "testdata/profiles", NoUpwardSearch: true})
	if got := names(p); got != "debug,tools,web" {
		t.Errorf("without --profile: services %s, want debug,tools,web", got)
	}
	// --profile narrows as compose does: services without a profile, and those named.
	p = load(t, ProjectOptions{WorkingDir: "testdata/profiles", NoUpwardSearch: true, Profiles: []string{"debug"}})
	if got := names(p); got != "debug,web" {
		t.Errorf("--profile debug: services %s, want debug,web", got)
	}
}

func TestIncludeLocatesServicesInIncludedFile(t *testing.T) {
	p := load(t, ProjectOptions{WorkingDir: "testdata/include", NoUpwardSearch: true})
	db := service(t, p, "db")
	if !strings.HasSuffix(db.Pos.File, filepath.Join("sub", "compose.yaml")) || db.Pos.Line != 2 {
		t.Errorf("db position = %v, want sub/compose.yaml:2", db.Pos)
	}
	web := service(t, p, "web")
	if len(web.DependsOn) != 1 || web.DependsOn[0].Target != db || web.DependsOn[0].Condition != "service_healthy" {
		t.Errorf("depends_on not resolved: %+v", web.DependsOn)
	}
	if web.DependsOn[0].Pos.Line != 7 {
		t.Errorf("depends_on.db position = %v, want line 7", web.DependsOn[0].Pos)
	}
}

func TestLocalDockerfileImageConfig(t *testing.T) {
	p := load(t, ProjectOptions{WorkingDir: "testdata/localbuild", NoUpwardSearch: true})
	app := service(t, p, "app")
	if app.ImageConfig == nil {
		t.Fatal("app builds ./app: its Dockerfile's image config is missing")
	}
	hc := app.EffectiveHealthcheck()
	if hc == nil || hc.Interval != 15*time.Second || strings.Join(hc.Test, " ") != "CMD /app probe" {
		t.Errorf("inherited HEALTHCHECK = %+v, want the Dockerfile's", hc)
	}
	if app.ImageConfig.Base != BaseAlpine || app.ImageConfig.User != "1000" {
		t.Errorf("image config = %+v", app.ImageConfig)
	}
	// --target build is the golang stage: no HEALTHCHECK there.
	migrate := service(t, p, "migrate")
	if migrate.EffectiveHealthcheck() != nil {
		t.Errorf("migrate builds target build, which has no HEALTHCHECK")
	}
	if !migrate.OneShot {
		t.Errorf("migrate is waited for with service_completed_successfully: it is a one-shot job")
	}
	if len(p.Dockerfiles) != 1 || !p.Dockerfiles[0].UsedByCompose {
		t.Errorf("dockerfiles = %+v, want one, used by compose", p.Dockerfiles)
	}
}

func TestPragmasAndExtension(t *testing.T) {
	p := load(t, ProjectOptions{WorkingDir: "testdata/pragmas", NoUpwardSearch: true})
	ig := p.Ignores[service(t, p, "web").Pos.File]
	web := service(t, p, "web")
	if !ig.Silenced("pids-limit-missing", 9) {
		t.Error("global ignore does not silence the whole file")
	}
	if !ig.Silenced("memory-limit-missing", web.Pos.Line) || !ig.Silenced("cpu-limit-missing", web.At("restart").Line) {
		t.Error("a pragma above a service must silence the whole service")
	}
	if !ig.Silenced("restart-always", web.At("restart").Line) {
		t.Error("a pragma above a key must silence that key")
	}
	api := service(t, p, "api")
	if ig.Silenced("memory-limit-missing", api.Pos.Line) || ig.Silenced("restart-always", api.Pos.Line) {
		t.Error("pragmas leak into the next service")
	}
	if strings.Join(api.IgnoreRules, ",") != "init-missing,user-root" {
		t.Errorf("x-docker-heal ignore = %v", api.IgnoreRules)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadComposeInput(t *testing.T) {
	dir := t.TempDir()
	bomb := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += n + ": &" + n + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
		prev = n
	}
	bomb += "services:\n  web:\n    image: x\n    labels: *i\n"
	cases := []struct {
		name, content, want string
		line                int
	}{
		{"invalid.yaml", "services:\n  web:\n    image: x\n   bad: [\n", "did not find expected key", 3},
		{"binary.yaml", "\x7fELF\x02\x01\x01\x00\x00", "binary content", 1},
		{"empty.yaml", "", "empty compose file", 1},
		{"list.yaml", "- a\n- b\n", "must be a mapping", 1},
		{"bomb.yaml", bomb, "aliasing", 0},
		{"deep.yaml", "services:\n  web:\n    image: x\n    x-deep: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n", "nested more than", 4},
		{"unknown-key.yaml", "services:\n  web:\n    image: x\n    restartt: always\n", `unknown key "restartt"`, 4},
		{"no-image.yaml", "services:\n  web:\n    image: x\n  job:\n    command: [run]\n", `service "job" has neither an image nor a build context`, 4},
		{"bad-volume.yaml", "services:\n  web:\n    image: x\n    volumes:\n      - ${UNSET_DIR_FOR_TEST}:/media/\n", "empty section between colons", 5},
		{"required-var.yaml", "services:\n  web:\n    image: ${UNSET_IMAGE_FOR_TEST:?set it}\n", "UNSET_IMAGE_FOR_TEST", 3},
		{"remote-include.yaml", "services:\n  web:\n    image: x\ninclude:\n  - oci://docker.io/example/app:1\n", "include oci://docker.io/example/app:1: a remote project", 5},
		{"remote-extends.yaml", "services:\n  web:\n    extends:\n      file: https://github.com/example/app.git#main:compose.yaml\n      service: web\n", "a remote project", 4},
		{"null-services.yaml", "name: x\nservices:\n", "services must be a mapping", 2},
		{"scalar-networks.yaml", "services: {}\nnetworks: 3\n", "networks must be a mapping", 2},
		{"list-volume.yaml", "services: {}\nvolumes:\n  db: [a]\n", "volumes.db must be a mapping", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, dir, c.name, c.content)
			start := time.Now()
			_, err := LoadProject(context.Background(), ProjectOptions{ConfigFiles: []string{path}})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want a *ParseError", err, err)
			}
			if !strings.Contains(pe.Msg, c.want) || pe.Pos.File != path {
				t.Errorf("err = %v, want %q at %s", pe, c.want, path)
			}
			if c.line != 0 && pe.Pos.Line != c.line {
				t.Errorf("line = %d, want %d", pe.Pos.Line, c.line)
			}
			// Not a timed assertion on speed, a guard against hangs.
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestNoComposeFile(t *testing.T) {
	_, err := LoadProject(context.Background(), ProjectOptions{WorkingDir: t.TempDir(), NoUpwardSearch: true})
	if !errors.Is(err, ErrNoComposeFile) {
		t.Errorf("err = %v, want ErrNoComposeFile", err)
	}
}

func TestSelectRulesKeepsInvalidFile(t *testing.T) {
	all := []Rule{{ID: "a"}, {ID: "b"}, {ID: InvalidFileRule}}
	ids := func(rs []Rule) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	if got, _ := SelectRules(all, []string{"a"}, nil, nil); ids(got) != "a,"+InvalidFileRule {
		t.Errorf("--only a: %s, want a and invalid-file", ids(got))
	}
	if got, _ := SelectRules(all, []string{"a"}, []string{InvalidFileRule}, nil); ids(got) != "a" {
		t.Errorf("--only a --disable invalid-file: %s", ids(got))
	}
	if _, err := SelectRules(all, []string{"nope"}, nil, nil); err == nil {
		t.Error("an unknown id must be an error")
	}
}

func TestUnsetVariablesAreFoundAtTheirLine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DH_TEST_SET", "x")
	path := writeFile(t, dir, "compose.yaml", "services:\n  web:\n    image: example/${DH_TEST_SET}:${DH_TEST_TAG:-1}\n    command: [\"echo\", \"$$HOME\", \"$DH_TEST_UNSET_A\"]\n    environment:\n      B: ${DH_TEST_UNSET_B}\n      D: ${DH_TEST_UNSET_D-fallback}\n    x-docker-heal: {ignore: [memory-limit-missing]}\nx-top: ${DH_TEST_UNSET_C}\n")
	p, err := LoadProject(context.Background(), ProjectOptions{ConfigFiles: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range p.UnsetVariables {
		got = append(got, fmt.Sprintf("%d:%s:%s:%v", u.Pos.Line, u.Name, u.Service, u.ServiceIgnores))
	}
	want := "4:DH_TEST_UNSET_A:web:[memory-limit-missing] 6:DH_TEST_UNSET_B:web:[memory-limit-missing] 9:DH_TEST_UNSET_C::[]"
	if strings.Join(got, " ") != want {
		t.Errorf("unset variables %v, want %s", got, want)
	}
}

// A service nothing depends on is a test run when its file, the folder
// of its file or its own name says tests (nextcloud/all-in-one's
// php/tests/compose.yaml runs test-runner-* services once).
func TestIsTestRunner(t *testing.T) {
	cases := []struct {
		name, file string
		dependedOn bool
		want       bool
	}{
		{"sut", "compose.yaml", false, true},
		{"web", "compose.yaml", false, false},
		{"web", "docker-compose.test.yml", false, true},
		{"test-runner-base", "php/tests/compose.yaml", false, true},
		{"runner", "php/tests/compose.yaml", false, true},
		{"runner", "e2e/compose.yaml", false, true},
		{"e2e_tests", "compose.yaml", false, true},
		{"test-runner", "compose.yaml", true, false}, // something waits for it: a service
		{"latest", "contest/compose.yaml", false, false},
		{"attestation", "compose.yaml", false, false},
	}
	for _, c := range cases {
		svc := &Service{Name: c.name, Pos: Position{File: c.file}}
		if got := isTestRunner(svc, nil, c.dependedOn); got != c.want {
			t.Errorf("isTestRunner(%s in %s, depended on %v) = %v, want %v", c.name, c.file, c.dependedOn, got, c.want)
		}
	}
}
