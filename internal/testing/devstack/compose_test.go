package devstack

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/contract"
)

const (
	uiPublishedPort       = "8233"
	temporalFrontendPort  = 7233
	temporalServiceName   = "temporal"
	postgresServiceName   = "postgresql"
	defaultComposePasswd  = "backorders-local-dev"
	workerServiceName     = "worker"
	setupServiceName      = "setup"
	temporalUIServiceName = "temporal-ui"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	return root
}

// loadCompose loads docker-compose.yml the way `docker compose` does, with an
// empty environment so the file's own defaults apply.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(nil),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
	)
	require.NoError(t, err)
	project, err := opts.LoadProject(context.Background())
	require.NoError(t, err, "docker-compose.yml must load")
	return project
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	require.NoError(t, err, "docker-compose.yml needs service %q", name)
	return s
}

func env(t *testing.T, s types.ServiceConfig, name string) string {
	t.Helper()
	v, ok := s.Environment[name]
	require.True(t, ok && v != nil, "service %s must set %s", s.Name, name)
	return *v
}

func TestComposeServices(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{postgresServiceName, temporalServiceName, temporalUIServiceName, workerServiceName, setupServiceName} {
		service(t, p, name)
	}
}

func TestComposeWorkerMatchesConfigDefaults(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{workerServiceName, setupServiceName} {
		s := service(t, p, name)
		assert.Equal(t, config.DefaultTemporalNamespace, env(t, s, "TEMPORAL_NAMESPACE"), name)
		assert.Equal(t, contract.DefaultTaskQueue, env(t, s, "BACKORDER_TASK_QUEUE"), name)
		assert.NotEmpty(t, env(t, s, "BACKORDER_TIMEZONE"), name)
	}
}

func TestComposeWorkerReachesTemporal(t *testing.T) {
	p := loadCompose(t)
	temporal := service(t, p, temporalServiceName)
	exposed := map[string]bool{}
	for _, port := range temporal.Ports {
		exposed[itoa(port.Target)] = true
	}
	for _, e := range temporal.Expose {
		exposed[e] = true
	}
	require.True(t, exposed[itoa(temporalFrontendPort)], "the temporal service must expose %d", temporalFrontendPort)

	for _, name := range []string{workerServiceName, setupServiceName, temporalUIServiceName} {
		addr := env(t, service(t, p, name), "TEMPORAL_ADDRESS")
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err, "%s TEMPORAL_ADDRESS=%q", name, addr)
		assert.Equal(t, temporalServiceName, host, "%s must reach Temporal by its service name", name)
		assert.Equal(t, itoa(temporalFrontendPort), port, "%s TEMPORAL_ADDRESS port", name)
	}
}

func TestComposeDatabaseURL(t *testing.T) {
	p := loadCompose(t)
	want, err := url.Parse(config.DefaultDatabaseURL)
	require.NoError(t, err)
	pg := service(t, p, postgresServiceName)
	password := env(t, pg, "POSTGRES_PASSWORD")
	assert.Equal(t, defaultComposePasswd, password, "the documented local-only default password")

	for _, name := range []string{workerServiceName, setupServiceName} {
		raw := env(t, service(t, p, name), "DATABASE_URL")
		u, err := url.Parse(raw)
		require.NoError(t, err, "%s DATABASE_URL", name)
		assert.Equal(t, want.Path, u.Path, "%s: database name must match config.DefaultDatabaseURL", name)
		assert.Equal(t, postgresServiceName, u.Hostname(), name)
		assert.Equal(t, "5432", u.Port(), name)
		got, _ := u.User.Password()
		assert.Equal(t, password, got, "%s: DATABASE_URL password must be the postgresql service's", name)
		assert.Equal(t, want.User.Username(), u.User.Username(), name)
	}
}

func TestComposeUIPort(t *testing.T) {
	p := loadCompose(t)
	ui := service(t, p, temporalUIServiceName)
	var published []string
	for _, port := range ui.Ports {
		if port.Target == 8080 {
			published = append(published, port.Published)
		}
	}
	assert.Equal(t, []string{uiPublishedPort}, published, "the UI must be published on %s", uiPublishedPort)

	// The same port is what the dev-server stack and the Makefile announce.
	root := repoRoot(t)
	for _, f := range []string{"Makefile", filepath.Join("scripts", "stack.sh")} {
		b, err := os.ReadFile(filepath.Join(root, f))
		require.NoError(t, err)
		assert.Contains(t, string(b), uiPublishedPort, f)
	}
	if b, err := os.ReadFile(filepath.Join(root, "README.md")); err == nil && strings.Contains(string(b), "localhost:8") {
		assert.Contains(t, string(b), "localhost:"+uiPublishedPort, "README.md")
	}
}

func TestComposePublishesOnlyLoopback(t *testing.T) {
	p := loadCompose(t)
	for name, s := range p.Services {
		for _, port := range s.Ports {
			assert.Equal(t, "127.0.0.1", port.HostIP, "service %s publishes %s beyond localhost", name, port.Published)
		}
	}
}

func TestComposeImagesPinned(t *testing.T) {
	p := loadCompose(t)
	require.NotEmpty(t, p.Services)
	for name, s := range p.Services {
		require.NotEmpty(t, s.Image, "service %s needs an image", name)
		assert.NotContains(t, s.Image, "temporalio/auto-setup", "service %s: auto-setup is deprecated", name)
		ref := s.Image
		if i := strings.LastIndex(ref, "@"); i >= 0 {
			continue // pinned by digest
		}
		slash := strings.LastIndex(ref, "/")
		colon := strings.LastIndex(ref, ":")
		require.Greater(t, colon, slash, "service %s: image %q has no tag", name, ref)
		tag := ref[colon+1:]
		assert.NotEmpty(t, tag, "service %s: image %q", name, ref)
		assert.NotEqual(t, "latest", tag, "service %s: image %q must be pinned", name, ref)
	}
}

func TestComposeStartOrder(t *testing.T) {
	p := loadCompose(t)
	dep := func(svc, on, cond string) {
		t.Helper()
		d, ok := service(t, p, svc).DependsOn[on]
		if assert.True(t, ok, "%s must depend on %s", svc, on) {
			assert.Equal(t, cond, d.Condition, "%s -> %s", svc, on)
		}
	}
	dep(temporalServiceName, "temporal-admin-tools", types.ServiceConditionCompletedSuccessfully)
	dep(temporalServiceName, postgresServiceName, types.ServiceConditionHealthy)
	dep(setupServiceName, "temporal-create-namespace", types.ServiceConditionCompletedSuccessfully)
	dep(workerServiceName, setupServiceName, types.ServiceConditionCompletedSuccessfully)

	setup := service(t, p, setupServiceName)
	assert.Equal(t, types.ShellCommand{"/app/starter"}, setup.Entrypoint)
	assert.Equal(t, types.ShellCommand{"setup"}, setup.Command)

	// The admin-tools image must match the server it prepares the schema for.
	server := service(t, p, temporalServiceName).Image
	admin := service(t, p, "temporal-admin-tools").Image
	serverTag := server[strings.LastIndex(server, ":")+1:]
	assert.True(t, strings.HasPrefix(admin, "temporalio/admin-tools:"+serverTag+"-") || admin == "temporalio/admin-tools:"+serverTag,
		"admin-tools %s must be the server's version %s", admin, serverTag)
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
