// Command ferretdb runs FerretDB's embeddable server (v1.24.2), on PostgreSQL by default.
//
// Tessera builds this small wrapper instead of FerretDB's own command because
// that command refuses to start when built from the module proxy (it expects a
// version file generated in FerretDB's own checkout). The embeddable package is
// the same server. scripts/install-tools.sh builds it against FerretDB's source
// with the patches in ./patches applied (see docs/design-notes.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "postgresql", "backend: postgresql or sqlite")
	postgresURL := flag.String("postgresql-url", "", "PostgreSQL URL (postgresql handler)")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite data directory as a file: URI ending in / (sqlite handler)")
	logLevel := flag.String("log-level", "error", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: bad --log-level %q\n", *logLevel)
		os.Exit(2)
	}
	tuneGC()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       *handler,
		PostgreSQLURL: *postgresURL,
		SQLiteURL:     *sqliteURL,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}
}

// tuneGC makes the garbage collector run less often than Go's default (GOGC=100) unless GOGC or
// GOMEMLIMIT is set: reads allocate a short-lived document per row, and at the default a third of
// FerretDB's CPU in a bulk read went to collection. The memory limit bounds the larger heap
// (a sort holds every matching document, which is when the limit makes collection run sooner).
func tuneGC() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(400)
		debug.SetMemoryLimit(2 << 30)
	}
}
