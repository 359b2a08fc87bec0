package dockerfile

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The image model is pinned twice: by the values written in each case, and
// by BuildKit's own conversion (dockerfile2llb), run on the same Dockerfile
// with the same base images, which must agree on every field.
func TestImageModelMatchesBuildKit(t *testing.T) {
	tini := &ImageConfig{Entrypoint: []string{"/sbin/tini", "--"}, Cmd: []string{"app"}, User: "1000", WorkingDir: "/srv", OS: "linux",
		Env:         []string{"PATH=/usr/bin:/bin", "HOME=/home/app"},
		Healthcheck: &Healthcheck{Test: []string{"CMD", "/app", "health"}}}
	ps := &ImageConfig{Shell: []string{"powershell", "-command"}, OS: "windows"}
	type want struct {
		entrypoint, cmd, shell, user, workdir, health string
	}
	cases := []struct {
		name   string
		src    string
		bases  map[string]*ImageConfig
		target string
		want   want
	}{
		{"CMD before ENTRYPOINT in one stage is kept",
			"FROM scratch\nCMD /app --serve\nENTRYPOINT [\"/tini\", \"--\"]\n", nil, "",
			want{entrypoint: "/tini --", cmd: "/bin/sh -c /app --serve", workdir: "/"}},
		{"ENTRYPOINT after CMD, CMD after ENTRYPOINT",
			"FROM scratch\nENTRYPOINT [\"/ep\"]\nCMD [\"a\"]\n", nil, "",
			want{entrypoint: "/ep", cmd: "a", workdir: "/"}},
		{"ENTRYPOINT resets the base image's CMD",
			"FROM tini-app:1\nENTRYPOINT [\"/ep\"]\n", map[string]*ImageConfig{"tini-app:1": tini}, "",
			want{entrypoint: "/ep", user: "1000", workdir: "/srv", health: "CMD /app health"}},
		{"ENTRYPOINT resets the CMD of a parent stage",
			"FROM scratch AS base\nCMD [\"a\"]\nFROM base\nENTRYPOINT [\"/ep\"]\n", nil, "",
			want{entrypoint: "/ep", workdir: "/"}},
		{"the base image's config is inherited",
			"FROM tini-app:1\nRUN true\n", map[string]*ImageConfig{"tini-app:1": tini}, "",
			want{entrypoint: "/sbin/tini --", cmd: "app", user: "1000", workdir: "/srv", health: "CMD /app health"}},
		{"SHELL wraps shell-form CMD and ENTRYPOINT",
			"FROM scratch\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nENTRYPOINT exec /app\nCMD run it\n", nil, "",
			want{entrypoint: "/bin/bash -eo pipefail -c exec /app", cmd: "/bin/bash -eo pipefail -c run it", shell: "/bin/bash -eo pipefail -c", workdir: "/"}},
		{"SHELL inherited from a Windows base",
			"FROM ps:1\nCMD Start-App\n", map[string]*ImageConfig{"ps:1": ps}, "",
			want{cmd: "powershell -command Start-App", shell: "powershell -command"}},
		{"a Windows base's default shell is cmd",
			"FROM win:1\nCMD app.exe\n", map[string]*ImageConfig{"win:1": {OS: "windows"}}, "",
			want{cmd: "cmd /S /C app.exe"}},
		{"stage inheritance and --target",
			"FROM scratch AS a\nUSER 1\nHEALTHCHECK CMD [\"/a\"]\nFROM a AS b\nUSER 2\nFROM a\nCMD [\"/c\"]\n", nil, "b",
			want{user: "2", workdir: "/", health: "CMD /a"}},
		{"ARG and ENV expand USER and WORKDIR, not CMD",
			"ARG UID=1000\nFROM scratch\nARG UID\nENV APP=/srv/app\nUSER ${UID}:${GID:-1000}\nWORKDIR $APP\nWORKDIR sub\nCMD [\"$APP\"]\n", nil, "",
			want{cmd: "$APP", user: "1000:1000", workdir: "/srv/app/sub"}},
		{"global ARGs expand each other, ARG without a value takes the global one",
			"ARG MAJOR=1\nARG UID=${MAJOR}000\nFROM scratch\nARG UID\nARG HOME=/home/u$UID\nUSER $UID\nWORKDIR $HOME\n", nil, "",
			want{user: "1000", workdir: "/home/u1000"}},
		{"ENV overrides ARG of the same name",
			"FROM scratch\nARG NAME=arg\nENV NAME=env\nUSER $NAME\n", nil, "",
			want{user: "env", workdir: "/"}},
		{"the escape directive applies to expansion",
			"# escape=`\nFROM scratch\nENV A=x\nUSER `$A:$A\n", nil, "",
			want{user: "$A:x", workdir: "/"}},
		{"a later ARG wins over an ENV of the same name in expansion",
			"FROM scratch\nENV NAME=env\nARG NAME=arg\nUSER $NAME\n", nil, "",
			want{user: "arg", workdir: "/"}},
		{"a stage inherits its parent stage's ARGs",
			"FROM scratch AS base\nARG UID=4242\nFROM base\nUSER $UID\n", nil, "",
			want{user: "4242", workdir: "/"}},
		{"ARG in FROM",
			"ARG BASE=tini-app:1\nFROM ${BASE}\nUSER ${HOME}\n", map[string]*ImageConfig{"tini-app:1": tini}, "",
			want{entrypoint: "/sbin/tini --", cmd: "app", user: "/home/app", workdir: "/srv", health: "CMD /app health"}},
		{"HEALTHCHECK NONE overrides the base's",
			"FROM tini-app:1\nHEALTHCHECK NONE\n", map[string]*ImageConfig{"tini-app:1": tini}, "",
			want{entrypoint: "/sbin/tini --", cmd: "app", user: "1000", workdir: "/srv", health: "NONE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			df, err := Parse("Dockerfile", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			df.SetBaseImages(c.bases)
			img := df.Image(c.target)
			got := want{strings.Join(img.Entrypoint, " "), strings.Join(img.Cmd, " "), strings.Join(img.Shell, " "), img.User, img.WorkingDir, ""}
			if img.Healthcheck != nil {
				got.health = strings.Join(img.Healthcheck.Test, " ")
			}
			if got != c.want {
				t.Errorf("model:\n got  %+v\n want %+v", got, c.want)
			}
			bk := buildkitImage(t, c.src, c.bases, c.target)
			bkGot := want{strings.Join(bk.Entrypoint, " "), strings.Join(bk.Cmd, " "), strings.Join(bk.Shell, " "), bk.User, bk.WorkingDir, ""}
			if bk.Healthcheck != nil {
				bkGot.health = strings.Join(bk.Healthcheck.Test, " ")
			}
			if bkGot != got {
				t.Errorf("the model disagrees with BuildKit:\n model    %+v\n buildkit %+v", got, bkGot)
			}
			if img.Unknown != 0 {
				t.Errorf("every base is known, yet fields %b are unknown", img.Unknown)
			}
		})
	}
}

func TestHealthcheckRunsUnderTheImageShell(t *testing.T) {
	df, err := Parse("Dockerfile", []byte("FROM scratch\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nSHELL [\"/bin/bash\", \"-c\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The engine runs CMD-SHELL with the container's final SHELL, whatever
	// the order of the instructions.
	if got := strings.Join(df.Image("").Healthcheck.Argv(), " "); got != "/bin/bash -c curl -f http://localhost/ || exit 1" {
		t.Errorf("probe argv %q", got)
	}
	plain := &Healthcheck{Test: []string{"CMD-SHELL", "true"}}
	if got := strings.Join(plain.Argv(), " "); got != "/bin/sh -c true" {
		t.Errorf("default shell: %q", got)
	}
}

func TestImageModelUnknownBase(t *testing.T) {
	df, err := Parse("Dockerfile", []byte("FROM grafana/grafana:11\nUSER root\nRUN true\nENTRYPOINT [\"/run.sh\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	img := df.Image("")
	if !img.Knows(FieldUser) || !img.Knows(FieldEntrypoint) || !img.Knows(FieldCmd) {
		t.Errorf("USER, ENTRYPOINT (and the CMD it resets) are set here: unknown %b", img.Unknown)
	}
	if img.Knows(FieldHealthcheck) || img.NotInspected != "grafana/grafana:11" {
		t.Errorf("the healthcheck comes from an image not inspected: unknown %b, not inspected %q", img.Unknown, img.NotInspected)
	}
	if refs := df.BaseRefs(); !slices.Equal(refs, []string{"grafana/grafana:11"}) {
		t.Errorf("base refs %v", refs)
	}
	df.SetBaseImages(map[string]*ImageConfig{"grafana/grafana:11": {User: "472", Healthcheck: &Healthcheck{Test: []string{"CMD", "x"}}}})
	img = df.Image("")
	if img.Unknown != 0 || img.Healthcheck == nil || img.User != "root" || img.Inherited != "grafana/grafana:11" {
		t.Errorf("after the lookup: %+v", img)
	}
}

// buildkitImage runs BuildKit's Dockerfile-to-LLB conversion and returns the
// image config it would write, with bases served from the given configs.
func buildkitImage(t *testing.T, src string, bases map[string]*ImageConfig, target string) dockerspec.DockerOCIImageConfig {
	t.Helper()
	res, err := dockerfile2llb.Dockerfile2LLB(context.Background(), []byte(src), dockerfile2llb.ConvertOpt{
		Config:         dockerui.Config{Target: target},
		MetaResolver:   fakeResolver(bases),
		TargetPlatform: &ocispecs.Platform{OS: "linux", Architecture: "amd64"},
	})
	if err != nil {
		t.Fatalf("buildkit: %v", err)
	}
	return res.Image.Config
}

type fakeResolver map[string]*ImageConfig

func (f fakeResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	for k, c := range f {
		if !strings.HasSuffix(ref, "/"+k) {
			continue
		}
		var img dockerspec.DockerOCIImage
		img.OS, img.Architecture = c.OS, "amd64"
		if img.OS == "" {
			img.OS = "linux"
		}
		img.Config.Entrypoint, img.Config.Cmd, img.Config.User = c.Entrypoint, c.Cmd, c.User
		img.Config.WorkingDir, img.Config.Env, img.Config.Shell = c.WorkingDir, c.Env, c.Shell
		if c.Healthcheck != nil {
			img.Config.Healthcheck = &dockerspec.HealthcheckConfig{Test: c.Healthcheck.Test}
		}
		dt, err := json.Marshal(img)
		return ref, digest.FromBytes(dt), dt, err
	}
	return "", "", nil, fmt.Errorf("%s: not in the test's bases", ref)
}

// Every Dockerfile of the rules' testdata and of ../shared/corpus (when
// present), with every base image given an empty config: the model and
// BuildKit must agree on the final image.
func TestImageModelMatchesBuildKitOnRealFiles(t *testing.T) {
	roots := []string{filepath.Join("..", "rules", "testdata")}
	if c := filepath.Join("..", "..", "..", "..", "shared", "corpus"); isDirectory(c) {
		roots = append(roots, c)
	}
	compared, skipped := 0, 0
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !IsDockerfileName(d.Name()) {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			df, err := Parse(path, src)
			if err != nil {
				return nil
			}
			bases := map[string]*ImageConfig{}
			for _, ref := range df.BaseRefs() {
				bases[ref] = &ImageConfig{OS: "linux"}
			}
			res, err := dockerfile2llb.Dockerfile2LLB(context.Background(), src, dockerfile2llb.ConvertOpt{
				MetaResolver:   anyImage{},
				TargetPlatform: &ocispecs.Platform{OS: "linux", Architecture: "amd64"},
			})
			if err != nil {
				skipped++ // BuildKit refuses it (a required build arg, a named context)
				return nil
			}
			df.SetBaseImages(bases)
			img := df.Image("")
			bk := res.Image.Config
			model := fmt.Sprintf("%q %q %q %q %q", img.Entrypoint, img.Cmd, img.Shell, img.User, img.WorkingDir)
			want := fmt.Sprintf("%q %q %q %q %q", bk.Entrypoint, bk.Cmd, bk.Shell, bk.User, bk.WorkingDir)
			if img.Healthcheck != nil {
				model += fmt.Sprintf(" %q", img.Healthcheck.Test)
			}
			if bk.Healthcheck != nil {
				want += fmt.Sprintf(" %q", bk.Healthcheck.Test)
			}
			if model != want {
				t.Errorf("%s:\n model    %s\n buildkit %s", path, model, want)
			}
			compared++
			return nil
		})
	}
	if compared == 0 {
		t.Fatal("no Dockerfile compared")
	}
	t.Logf("%d Dockerfiles agree with BuildKit (%d it refused)", compared, skipped)
}

func isDirectory(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() }

// anyImage serves an empty linux/amd64 config for every reference.
type anyImage struct{}

func (anyImage) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	dt := []byte(`{"os":"linux","architecture":"amd64","config":{}}`)
	return ref, digest.FromBytes(dt), dt, nil
}
