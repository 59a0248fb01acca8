package main

// FerretDB v1.24's SQLite backend indexes `_id` as `_ferretdb_sjson->"_id"` but filters
// queries and updates by `_ferretdb_sjson->'$._id'`. SQLite matches index expressions
// literally, so every lookup and every update by `_id` scans the whole table: with
// 100,000 documents an update by `_id` takes a quarter of a second, and the outbox
// relay does one per published event.
//
// idIndexer adds, to every FerretDB table, a second index on exactly the expression
// the backend filters with. It only adds SQLite indexes: FerretDB's own metadata
// (listIndexes, dropIndexes) never sees them, and dropping a collection drops them
// with its table. A table gets its index within one pass of being created.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the same driver FerretDB registers; imported for clarity
)

// The prefix FerretDB reserves for its own names, so no user index can collide.
const idIndexSuffix = "__ferretdb_roster_id"

type idIndexer struct {
	dir    string
	logger *slog.Logger
}

func (x *idIndexer) run(ctx context.Context, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		x.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (x *idIndexer) pass(ctx context.Context) {
	files, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		return
	}
	for _, file := range files {
		if err := x.indexDatabase(ctx, file); err != nil {
			// Typically a database being created or dropped right now: next pass.
			x.logger.Debug("id index pass skipped a database", "file", file, "error", err)
		}
	}
}

func (x *idIndexer) indexDatabase(ctx context.Context, file string) error {
	// mode=rw: never create a file FerretDB just dropped.
	dsn := (&url.URL{
		Scheme:   "file",
		Opaque:   filepath.ToSlash(file),
		RawQuery: "mode=rw&_pragma=busy_timeout(10000)",
	}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name FROM _ferretdb_collections AS c
		WHERE NOT EXISTS (
			SELECT 1 FROM sqlite_master AS m
			WHERE m.type = 'index' AND m.name = c.table_name || ?
		)`, idIndexSuffix)
	if err != nil {
		return err
	}
	var missing []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			rows.Close()
			return err
		}
		missing = append(missing, table)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	for _, table := range missing {
		q := fmt.Sprintf(
			`CREATE INDEX IF NOT EXISTS %s ON %s (_ferretdb_sjson->'$._id')`,
			quoteIdent(table+idIndexSuffix), quoteIdent(table),
		)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
		x.logger.Debug("added _id lookup index", "file", file, "table", table)
	}
	return nil
}

func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
