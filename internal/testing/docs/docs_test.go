// Package docs checks that the README and docs/ point where they say: a
// newcomer follows the table of the 13 steps to the line that does each.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "../../.."

// link is a Markdown link to a file of the repository, maybe to a line.
var link = regexp.MustCompile(`\[([^\]]*)\]\(([^)#:]+)(?:#L(\d+))?\)`)

// Every relative link in the README and docs/ names a file that exists,
// and a line it has.
func TestLinksResolve(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	pages = append(pages, filepath.Join(root, "README.md"), filepath.Join(root, "BENCHMARKS.md"))
	for _, page := range pages {
		text, err := os.ReadFile(page)
		require.NoError(t, err)
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := filepath.Join(filepath.Dir(page), m[2])
			info, err := os.Stat(target)
			if !assert.NoError(t, err, "%s links to %s", page, m[2]) || info.IsDir() || m[3] == "" {
				continue
			}
			lines, err := readLines(target)
			require.NoError(t, err)
			n, _ := strconv.Atoi(m[3])
			assert.LessOrEqual(t, n, len(lines), "%s links to line %d of %s", page, n, m[2])
		}
	}
}

// Each row of the README's table of the 13 steps links the workflow line
// whose comment carries the step's number, and each activity to its
// method.
func TestStepTableLinksTheStepAndItsActivities(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(text), "### The 13 steps, and where each lives")
	require.True(t, ok, "README.md has the table of the 13 steps")
	row := regexp.MustCompile(`(?m)^\| (\d+) \|(.*)$`)
	rows := row.FindAllStringSubmatch(table, -1)
	require.Len(t, rows, 13, "one row per step")
	for i, r := range rows {
		step := r[1]
		require.Equal(t, strconv.Itoa(i+1), step, "steps in order")
		cells := strings.Split(r[2], "|")
		require.GreaterOrEqual(t, len(cells), 3, "row %s", step)
		for _, m := range link.FindAllStringSubmatch(cells[1], -1) {
			line := lineAt(t, m)
			assert.Regexp(t, `(^|[^0-9])`+step+`([^0-9]|$)`, line, "step %s: %s line %s should carry the step's number", step, m[2], m[3])
		}
		for _, m := range link.FindAllStringSubmatch(cells[2], -1) {
			name := strings.Trim(m[1], "`")
			name = name[strings.LastIndex(name, ".")+1:]
			assert.Contains(t, lineAt(t, m), name+"(", "step %s: %s line %s should define %s", step, m[2], m[3], name)
		}
	}
}

func lineAt(t *testing.T, m []string) string {
	t.Helper()
	lines, err := readLines(filepath.Join(root, m[2]))
	require.NoError(t, err)
	n, err := strconv.Atoi(m[3])
	require.NoError(t, err, "%s has no line number", m[0])
	require.LessOrEqual(t, n, len(lines), m[0])
	return lines[n-1]
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(string(b), "\n"), nil
}
