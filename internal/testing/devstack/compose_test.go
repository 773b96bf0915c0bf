package devstack

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

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
	workerRoleServiceName = "worker-role"
	schemaServiceName     = "temporal-admin-tools"
	namespaceServiceName  = "temporal-create-namespace"
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

// databaseURL is a service's DATABASE_URL, which must point at the
// postgresql service's database of config.DefaultDatabaseURL's name.
func databaseURL(t *testing.T, p *types.Project, name string) *url.URL {
	t.Helper()
	want, err := url.Parse(config.DefaultDatabaseURL)
	require.NoError(t, err)
	u, err := url.Parse(env(t, service(t, p, name), "DATABASE_URL"))
	require.NoError(t, err, "%s DATABASE_URL", name)
	assert.Equal(t, want.Path, u.Path, "%s: database name must match config.DefaultDatabaseURL", name)
	assert.Equal(t, postgresServiceName, u.Hostname(), name)
	assert.Equal(t, "5432", u.Port(), name)
	return u
}

// The starter connects as the owner, the postgresql service's user.
func TestComposeDatabaseURL(t *testing.T) {
	p := loadCompose(t)
	want, err := url.Parse(config.DefaultDatabaseURL)
	require.NoError(t, err)
	pg := service(t, p, postgresServiceName)
	password := env(t, pg, "POSTGRES_PASSWORD")
	assert.Equal(t, defaultComposePasswd, password, "the documented local-only default password")

	u := databaseURL(t, p, setupServiceName)
	got, _ := u.User.Password()
	assert.Equal(t, password, got, "setup: DATABASE_URL password must be the postgresql service's")
	assert.Equal(t, want.User.Username(), u.User.Username())
	assert.Equal(t, env(t, pg, "POSTGRES_USER"), u.User.Username())
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
	dep(namespaceServiceName, temporalServiceName, types.ServiceConditionHealthy)
	dep(setupServiceName, "temporal-create-namespace", types.ServiceConditionCompletedSuccessfully)
	dep(workerRoleServiceName, setupServiceName, types.ServiceConditionCompletedSuccessfully)
	dep(workerServiceName, setupServiceName, types.ServiceConditionCompletedSuccessfully)
	dep(workerServiceName, workerRoleServiceName, types.ServiceConditionCompletedSuccessfully)

	setup := service(t, p, setupServiceName)
	assert.Equal(t, types.ShellCommand{"/app/starter"}, setup.Entrypoint)
	assert.Equal(t, types.ShellCommand{"setup"}, setup.Command)
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// Every service, one-shot jobs included, says how to tell it is healthy;
// PostgreSQL only once it answers over TCP, not during its first-start
// initialisation on the Unix socket.
func TestComposeEveryServiceHasAHealthCheck(t *testing.T) {
	p := loadCompose(t)
	for name, s := range p.Services {
		if assert.NotNil(t, s.HealthCheck, "service %s has no healthcheck", name) {
			assert.False(t, s.HealthCheck.Disable, name)
			assert.NotEmpty(t, s.HealthCheck.Test, name)
		}
	}
	pg := service(t, p, postgresServiceName)
	require.NotNil(t, pg.HealthCheck)
	assert.Contains(t, strings.Join(pg.HealthCheck.Test, " "), "pg_isready -h 127.0.0.1")
}

// oneShotJobs are the services another waits on to complete successfully.
func oneShotJobs(p *types.Project) map[string]bool {
	jobs := map[string]bool{}
	for _, s := range p.Services {
		for on, d := range s.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully {
				jobs[on] = true
			}
		}
	}
	return jobs
}

// A one-shot job that fails (a dependency slow to come up) runs again, a
// bounded number of times; the long-running services restart too.
func TestComposeRestartPolicies(t *testing.T) {
	p := loadCompose(t)
	jobs := oneShotJobs(p)
	assert.Equal(t, map[string]bool{schemaServiceName: true, namespaceServiceName: true, setupServiceName: true, workerRoleServiceName: true}, jobs)
	for name, s := range p.Services {
		if jobs[name] {
			assert.Regexp(t, `^on-failure(:[1-9][0-9]*)?$`, s.Restart, "one-shot job %s", name)
		} else {
			assert.Equal(t, types.RestartPolicyUnlessStopped, s.Restart, "service %s", name)
		}
	}
}

// The server and every admin-tools job are images of one Temporal release:
// the schema jobs set up is the one the server expects.
func TestComposeTemporalImagesShareOneRelease(t *testing.T) {
	p := loadCompose(t)
	server := service(t, p, temporalServiceName).Image
	repo, release, ok := strings.Cut(server, ":")
	require.True(t, ok && repo == "temporalio/server", "the temporal service runs temporalio/server:<release>, not %s", server)
	admins := 0
	for name, s := range p.Services {
		if strings.HasPrefix(s.Image, "temporalio/admin-tools:") {
			admins++
			assert.Equal(t, "temporalio/admin-tools:"+release, s.Image, "%s must be the server's release %s", name, release)
		}
	}
	assert.Equal(t, 2, admins, "the schema and namespace jobs")
}

// securitySQL is docs/operations.md's least-privilege block: the role it
// creates and its GRANT statements, whitespace folded.
func securitySQL(t *testing.T) (role string, grants []string) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "operations.md"))
	require.NoError(t, err)
	_, security, ok := strings.Cut(string(doc), "\n## Security\n")
	require.True(t, ok, "docs/operations.md has a Security section")
	_, block, ok := strings.Cut(security, "```sql\n")
	require.True(t, ok, "the Security section has a SQL block")
	block, _, _ = strings.Cut(block, "```")
	m := regexp.MustCompile(`CREATE ROLE (\w+)`).FindStringSubmatch(block)
	require.NotNil(t, m, "the SQL block creates a role")
	return m[1], grantStatements(block)
}

func grantStatements(sql string) []string {
	var grants []string
	for _, stmt := range strings.Split(sql, ";") {
		stmt = strings.Join(strings.Fields(stmt), " ")
		if i := strings.Index(stmt, "GRANT "); i >= 0 {
			grants = append(grants, stmt[i:])
		}
	}
	slices.Sort(grants)
	return grants
}

// The compose worker connects as the least-privilege role of
// docs/operations.md, which the worker-role job creates with that page's
// grants, after the owner's `starter setup` migrated the database.
func TestComposeWorkerConnectsAsTheLeastPrivilegeRole(t *testing.T) {
	p := loadCompose(t)
	role, grants := securitySQL(t)
	job := service(t, p, workerRoleServiceName)
	script := strings.Join(job.Command, "\n")
	assert.Contains(t, script, "CREATE ROLE "+role+" LOGIN")
	assert.Equal(t, grants, grantStatements(script), "the job grants exactly what docs/operations.md grants")
	assert.Equal(t, postgresServiceName, env(t, job, "PGHOST"))
	assert.Equal(t, env(t, service(t, p, postgresServiceName), "POSTGRES_USER"), env(t, job, "PGUSER"), "the owner creates the role")

	u := databaseURL(t, p, workerServiceName)
	assert.Equal(t, role, u.User.Username(), "the worker is not the owner")
	password, _ := u.User.Password()
	assert.Equal(t, env(t, job, "WORKER_PASSWORD"), password, "the password the job set")
	assert.NotEqual(t, defaultComposePasswd, password)
}

// The dynamic config file the server is pointed at is in the repository
// and parses.
func TestComposeTemporalDynamicConfig(t *testing.T) {
	s := service(t, loadCompose(t), temporalServiceName)
	path := env(t, s, "DYNAMIC_CONFIG_FILE_PATH")
	var mounted string
	for _, v := range s.Volumes {
		if rel, ok := strings.CutPrefix("/etc/temporal/"+path, v.Target+"/"); ok && v.Type == types.VolumeTypeBind {
			mounted = filepath.Join(v.Source, rel)
		}
	}
	require.NotEmpty(t, mounted, "%s is mounted from the repository", path)
	raw, err := os.ReadFile(mounted)
	require.NoError(t, err)
	var values map[string][]struct {
		Value       any            `yaml:"value"`
		Constraints map[string]any `yaml:"constraints"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &values))
	assert.NotEmpty(t, values)
}
