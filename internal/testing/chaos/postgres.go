package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/acme/backorders/internal/testing/localproc"
)

// privatePostgres is a throwaway PostgreSQL cluster for the database
// outage drill: initdb in a temporary directory, its own port, trust
// authentication on 127.0.0.1 and a socket in that directory. The drill
// stops and starts it at will; it never touches a shared server.
//
// The postmaster runs in the foreground as this process's child (not
// daemonized by pg_ctl), so the drill holds its pid, waits for it, and on
// Linux it gets SIGQUIT (immediate shutdown) if the drill process dies.
// Stopping sends SIGINT, PostgreSQL's fast shutdown: exactly what
// `pg_ctl stop -m fast` sends.
type privatePostgres struct {
	dir  string // owned by the server's user: data/, the socket, the log
	bin  string // directory holding initdb and postgres
	port int
	// cred runs initdb and postgres as the postgres OS user when this
	// process is root (initdb refuses to run as root).
	cred *syscall.Credential
	proc *localproc.Process
}

// postgresBinDir finds initdb and postgres: CHAOS_PG_BIN, else the newest
// /usr/lib/postgresql/N/bin (Debian), Homebrew's, else PATH.
func postgresBinDir() (string, error) {
	if d := os.Getenv("CHAOS_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("CHAOS_PG_BIN=%q: no initdb there: %w", d, err)
		}
		return d, nil
	}
	var found []string
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin/initdb",
		"/opt/homebrew/opt/postgresql@*/bin/initdb",
		"/usr/local/opt/postgresql@*/bin/initdb",
	} {
		m, _ := filepath.Glob(pattern)
		found = append(found, m...)
	}
	// Newest major version first.
	version := func(p string) int {
		for _, part := range strings.Split(p, string(filepath.Separator)) {
			part = strings.TrimPrefix(part, "postgresql@")
			if n, err := strconv.Atoi(part); err == nil {
				return n
			}
		}
		return 0
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	if len(found) > 0 {
		return filepath.Dir(found[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("initdb not found (looked in /usr/lib/postgresql/*/bin, Homebrew and PATH; set CHAOS_PG_BIN): install the PostgreSQL server package")
}

// PrivatePostgresAvailable says why the outage drill cannot run here, or
// nil: initdb must be installed, and when this process is root there must
// be a `postgres` OS user to run it as.
func PrivatePostgresAvailable() error {
	if _, err := postgresBinDir(); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return fmt.Errorf("running as root, initdb must run as another user, and there is no `postgres` OS user: %w", err)
		}
	}
	return nil
}

// newPrivatePostgres creates and starts the cluster, with one database,
// database.
func newPrivatePostgres(ctx context.Context, database string) (_ *privatePostgres, err error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	pg := &privatePostgres{bin: bin}
	base := ""
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, initdb must run as another user, and there is no `postgres` OS user: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
		base = "/tmp" // the postgres user must reach it; $TMPDIR may be private
	}
	if pg.dir, err = os.MkdirTemp(base, "backorders-chaos-pg-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			pg.close()
		}
	}()
	if pg.cred != nil {
		if err := os.Chown(pg.dir, int(pg.cred.Uid), int(pg.cred.Gid)); err != nil {
			return nil, err
		}
	}
	if pg.port, err = localproc.FreePort(); err != nil {
		return nil, err
	}

	initCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	initdb := exec.CommandContext(initCtx, filepath.Join(bin, "initdb"),
		"-D", pg.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = pg.dir
	initdb.Env = pg.env()
	initdb.SysProcAttr = localproc.ChildAttr(0, pg.cred)
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb in %s: %w\n%s", pg.dir, err, out)
	}
	if err := pg.start(ctx); err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, pg.url("postgres"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{database}.Sanitize()); err != nil {
		return nil, fmt.Errorf("creating database %s on the private PostgreSQL: %w", database, err)
	}
	return pg, nil
}

func (pg *privatePostgres) dataDir() string { return filepath.Join(pg.dir, "data") }

func (pg *privatePostgres) env() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "LANG=C", "HOME=" + pg.dir}
}

func (pg *privatePostgres) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, database)
}

// start runs the postmaster on the cluster's port and waits until it takes
// connections.
func (pg *privatePostgres) start(ctx context.Context) error {
	if pg.proc != nil && !pg.proc.Exited() {
		return errors.New("the private PostgreSQL is already running")
	}
	p, err := localproc.Start("postgres", filepath.Join(pg.dir, "postgres.log"), pg.env(), localproc.ChildAttr(syscall.SIGQUIT, pg.cred),
		filepath.Join(pg.bin, "postgres"), "-D", pg.dataDir(), "-p", strconv.Itoa(pg.port), "-k", pg.dir,
		"-c", "listen_addresses=127.0.0.1",
		// A throwaway cluster: durability across an OS crash is not what
		// the drill tests (it stops the server cleanly, as an outage).
		"-c", "fsync=off")
	if err != nil {
		return err
	}
	pg.proc = p
	deadline := time.Now().Add(60 * time.Second)
	for {
		connCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(connCtx, pg.url("postgres"))
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("the private PostgreSQL exited at start:\n%s", p.Tail(2000))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = p.Stop(syscall.SIGQUIT, 10*time.Second)
			return fmt.Errorf("the private PostgreSQL on port %d did not take connections within 60s: %v\n%s", pg.port, err, p.Tail(2000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop shuts the server down fast: open transactions are rolled back and
// every connection is closed, as in an outage.
func (pg *privatePostgres) stop() error {
	if pg.proc == nil {
		return nil
	}
	return pg.proc.Stop(syscall.SIGINT, 60*time.Second)
}

// close stops the server and removes the cluster.
func (pg *privatePostgres) close() {
	if pg.proc != nil {
		_ = pg.stop()
	}
	if pg.dir != "" {
		_ = os.RemoveAll(pg.dir)
	}
}
