// Package buildinfo says which build a binary is, for --version: the
// module version, the VCS commit and its time, as the Go toolchain records
// them (debug.ReadBuildInfo), or the -ldflags values when a release sets
// them.
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/acme/backorders/internal/buildinfo.Version=v1.2.3 ..."
// by a release build; otherwise read from the build info.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// String is "NAME VERSION (commit COMMIT, built DATE, GO)".
func String(name string) string {
	version, commit, date := Version, Commit, Date
	goVersion := "unknown Go"
	modified := false
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if version == "" && info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				if date == "" {
					date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	if commit == "" {
		commit = "unknown"
	} else if len(commit) > 12 {
		commit = commit[:12]
	}
	if modified {
		commit += "+changes"
	}
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("%s %s (commit %s, built %s, %s)", name, version, commit, date, goVersion)
}
