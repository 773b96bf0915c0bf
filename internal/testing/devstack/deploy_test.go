package devstack

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type probe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

type container struct {
	Command []string
	Env     []struct{ Name, Value string }
	Ports   []struct {
		Name          string
		ContainerPort int `yaml:"containerPort"`
	}
	LivenessProbe  probe `yaml:"livenessProbe"`
	ReadinessProbe probe `yaml:"readinessProbe"`
}

// The Kubernetes example probes the endpoints the worker serves, on the
// port BACKORDER_METRICS_ADDR gives it, and waits longer than the stop
// timeout before killing it.
func TestKubernetesExampleUsesTheHealthEndpoints(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "kubernetes", "worker.yaml"))
	require.NoError(t, err)
	var d struct {
		Kind string
		Spec struct {
			Template struct {
				Spec struct {
					TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
					Containers                    []container
				}
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(raw, &d))
	require.Equal(t, "Deployment", d.Kind)
	spec := d.Spec.Template.Spec
	require.Len(t, spec.Containers, 1)
	c := spec.Containers[0]
	assert.Equal(t, []string{"/app/worker"}, c.Command)
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	_, port, ok := strings.Cut(env["BACKORDER_METRICS_ADDR"], ":")
	require.True(t, ok, "BACKORDER_METRICS_ADDR is HOST:PORT")
	for path, p := range map[string]probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		assert.Equal(t, path, p.HTTPGet.Path)
		assert.Equal(t, port, strconv.Itoa(ports[p.HTTPGet.Port]), "%s probes the port the worker serves it on", path)
	}
	assert.Greater(t, spec.TerminationGracePeriodSeconds, 25, "longer than BACKORDER_WORKER_STOP_TIMEOUT")
}

// The compose worker's health check asks /readyz on the port it serves.
func TestComposeWorkerHealthCheck(t *testing.T) {
	s := service(t, loadCompose(t), workerServiceName)
	_, port, ok := strings.Cut(env(t, s, "BACKORDER_METRICS_ADDR"), ":")
	require.True(t, ok)
	require.NotNil(t, s.HealthCheck)
	assert.Equal(t, []string{"CMD", "/app/worker", "-probe", "http://127.0.0.1:" + port + "/readyz"}, []string(s.HealthCheck.Test))
}
