// Package deploy holds the container image and compose files. Docker is not
// available where the tests run, so this test checks what can drift without
// anyone noticing: every faceprint command and flag the files pass exists in
// the binary's command tree, and every FACEPRINT_* variable they set is read.
package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/faceprint/faceprint/internal/cli"
	"github.com/faceprint/faceprint/internal/config"
)

// readByOthers are variables read outside config.LoadEnv: by the command
// line (flag defaults) or by libraries (the S3 client's credentials).
var readByOthers = map[string]string{
	"FACEPRINT_CONFIG":      "serve --config default (internal/cli/serve.go)",
	"AWS_ACCESS_KEY_ID":     "S3 credentials (internal/blob/s3.go)",
	"AWS_SECRET_ACCESS_KEY": "S3 credentials (internal/blob/s3.go)",
}

// argsErr reports whether args (after the program name) name a real
// subcommand and only flags it accepts.
func argsErr(args []string) error {
	root := cli.NewRoot()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return fmt.Errorf("%v: %w", args, err)
	}
	if cmd == root || cmd.RunE == nil && cmd.Run == nil {
		return fmt.Errorf("%v does not name a runnable command (got %q)", args, cmd.CommandPath())
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return fmt.Errorf("%v: %w", args, err)
	}
	if cmd.Args != nil {
		if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
			return fmt.Errorf("%v: %w", args, err)
		}
	}
	return nil
}

// envErr reports whether the binary reads the variable: config.LoadEnv must
// change the configuration when it is set, or it must be a known other reader.
func envErr(name string) error {
	if _, ok := readByOthers[name]; ok {
		return nil
	}
	if !strings.HasPrefix(name, "FACEPRINT_") {
		return fmt.Errorf("%s is not a variable faceprint reads", name)
	}
	old, had := os.LookupEnv(name)
	defer func() {
		if had {
			os.Setenv(name, old)
		} else {
			os.Unsetenv(name)
		}
	}()
	base, got := config.Defaults(), config.Defaults()
	os.Unsetenv(name)
	base.LoadEnv()
	os.Setenv(name, "123") // a value every field type accepts, unlike any default
	got.LoadEnv()
	if reflect.DeepEqual(base, got) {
		return fmt.Errorf("faceprint does not read %s (config.LoadEnv ignores it)", name)
	}
	return nil
}

func checkArgs(t *testing.T, where string, args []string) {
	t.Helper()
	if err := argsErr(args); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

func checkEnv(t *testing.T, where, name string) {
	t.Helper()
	if err := envErr(name); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

var envLine = regexp.MustCompile(`(?m)^ENV\s+((?:.*\\\n)*.*)$`)

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	var entry, cmd []string
	for _, line := range strings.Split(src, "\n") {
		for prefix, dst := range map[string]*[]string{"ENTRYPOINT ": &entry, "CMD ": &cmd} {
			if strings.HasPrefix(line, prefix) {
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, prefix)), dst); err != nil {
					t.Fatalf("%s must be a JSON array (exec form): %v", line, err)
				}
			}
		}
	}
	if !reflect.DeepEqual(entry, []string{"faceprint"}) || len(cmd) == 0 {
		t.Fatalf("ENTRYPOINT %v, CMD %v", entry, cmd)
	}
	checkArgs(t, "Dockerfile CMD", cmd)
	envs := 0
	for _, m := range envLine.FindAllStringSubmatch(src, -1) {
		for _, kv := range strings.Fields(strings.ReplaceAll(m[1], "\\\n", " ")) {
			name, _, _ := strings.Cut(kv, "=")
			checkEnv(t, "Dockerfile ENV", name)
			envs++
		}
	}
	if envs < 3 {
		t.Fatalf("found %d ENV variables, expected the address, data and models dirs", envs)
	}
}

func TestCompose(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Build       any               `yaml:"build"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var replicas, migrate int
	for name, svc := range doc.Services {
		if svc.Image != "faceprint:local" {
			continue
		}
		where := "compose " + name
		if len(svc.Command) == 0 {
			t.Fatalf("%s: no command", where)
		}
		checkArgs(t, where, svc.Command)
		switch svc.Command[0] {
		case "serve":
			replicas++
		case "migrate":
			migrate++
		}
		for env, v := range svc.Environment {
			checkEnv(t, where, env)
			if env == "FACEPRINT_BLOB_URL" && !strings.HasPrefix(v, "s3://") {
				t.Fatalf("%s: blob url %q", where, v)
			}
		}
		for _, need := range []string{"FACEPRINT_DB", "FACEPRINT_SIGNING_KEY"} {
			if _, ok := svc.Environment[need]; !ok {
				t.Fatalf("%s: %s is not set (replicas must share it)", where, need)
			}
		}
	}
	if replicas < 2 || migrate != 1 {
		t.Fatalf("%d faceprint replicas and %d migrate jobs, want ≥ 2 and 1", replicas, migrate)
	}
}

// TestCheckersCatchMistakes: the checks above fail on a made-up flag, command or variable.
func TestCheckersCatchMistakes(t *testing.T) {
	for _, args := range [][]string{{"serve", "--no-such-flag"}, {"no-such-command"}, {"migrate", "sideways"}, {"migrate", "up", "--dbx", "x"}} {
		if argsErr(args) == nil {
			t.Errorf("%v passed the command check", args)
		}
	}
	for _, name := range []string{"FACEPRINT_NO_SUCH_VARIABLE", "AWS_REGION"} {
		if envErr(name) == nil {
			t.Errorf("%s passed the variable check", name)
		}
	}
	if err := argsErr([]string{"migrate", "up", "--db", "postgres://x"}); err != nil {
		t.Errorf("a valid command failed the check: %v", err)
	}
}
