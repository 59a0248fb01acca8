// Command roster-ferretdb runs FerretDB v1 (MongoDB wire protocol) with the
// SQLite backend for Roster's local development and CI.
//
// Why a project-owned module instead of `go install .../cmd/ferretdb@v1.24.2`:
// FerretDB's own main panics at start when built from the module zip, because
// build/version/version.txt is generated in their repo and not shipped. The
// version check in build/version only runs when the main module is
// github.com/FerretDB/FerretDB, so embedding the public `ferretdb` package from
// our own main module skips it. The embedded package also never links the
// telemetry reporter (only cmd/ferretdb does) and explicitly disables telemetry
// in its in-memory state, so nothing ever calls out to the internet.
//
// Flags (each falls back to an environment variable):
//
//	-listen   ROSTER_FERRETDB_LISTEN     TCP address (default 127.0.0.1:27017)
//	-data     ROSTER_FERRETDB_DATA_DIR   SQLite data directory (default ./data)
//	-log-level ROSTER_FERRETDB_LOG_LEVEL debug|info|warn|error (default info)
//	-pprof    ROSTER_FERRETDB_PPROF      address for Go's profiler (net/http/pprof); off if empty
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only when -pprof is given
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

const ferretModule = "github.com/FerretDB/FerretDB"

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	listen := flag.String("listen", envOr("ROSTER_FERRETDB_LISTEN", "127.0.0.1:27017"), "TCP listen address")
	dataDir := flag.String("data", envOr("ROSTER_FERRETDB_DATA_DIR", "data"), "SQLite data directory (created if missing)")
	logLevel := flag.String("log-level", envOr("ROSTER_FERRETDB_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	pprofAddr := flag.String("pprof", envOr("ROSTER_FERRETDB_PPROF", ""), "address for Go's profiler, e.g. 127.0.0.1:6060 (off if empty)")
	flag.Parse()

	if *pprofAddr != "" {
		// Where the store's CPU goes (bench/import_rows.py's breakdown): `go tool pprof
		// http://<addr>/debug/pprof/profile?seconds=30`.
		go func() {
			server := &http.Server{Addr: *pprofAddr, ReadHeaderTimeout: 5 * time.Second}
			if err := server.ListenAndServe(); err != nil {
				slog.Error("pprof server stopped", "error", err)
			}
		}()
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "roster-ferretdb: bad -log-level: %v\n", err)
		os.Exit(2)
	}

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	if err := run(logger, *listen, *dataDir); err != nil {
		logger.Error("roster-ferretdb failed", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger, listen, dataDir string) error {
	// The SQLite backend wants an existing directory and a "file:" URI whose path
	// ends with "/". FerretDB adds busy_timeout(10000), journal_mode(wal) and
	// auto_vacuum(none) pragmas itself. synchronous(normal) is ours: in WAL mode a
	// commit then skips its fsync (checkpoints still sync), which halves the cost
	// of each single-document update here. A killed FerretDB loses nothing; only
	// a power loss or kernel crash may roll back the last commits - acceptable
	// for a development and CI store (docker-compose runs real MongoDB).
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	sqliteURL := (&url.URL{
		Scheme:   "file",
		Opaque:   filepath.ToSlash(abs) + "/",
		RawQuery: "_pragma=synchronous(normal)",
	}).String()

	// Embedded builds report ferretdbVersion "unknown" (see above); fill it in
	// from the dependency version recorded in our binary so buildInfo is useful.
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == ferretModule {
				// The build metadata names our patches (see patches/README.md): the
				// services look for it before relying on `_id` pushdown. `setdocs`:
				// 4-set-embedded-documents.patch (shows which build a running store is).
				version.Get().Version = dep.Version + "+roster.idpushdown.typedkeys.setdocs"
			}
		}
	}

	logger.Info("roster-ferretdb starting",
		"ferretdbVersion", version.Get().Version, "listen", listen, "sqlite", sqliteURL, "pid", os.Getpid())

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	// Run returns after ctx is cancelled and listeners, connections and the
	// SQLite backend are closed: that is our clean shutdown on SIGTERM/SIGINT.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// Lookups and updates by _id use an index only thanks to this (see idindex.go).
	go (&idIndexer{dir: abs, logger: logger}).run(ctx, 500*time.Millisecond)

	if err = f.Run(ctx); err != nil {
		return err
	}

	logger.Info("roster-ferretdb stopped")
	return nil
}
