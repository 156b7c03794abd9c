package localstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// prepareDatabases creates, for each service of opts that has one, its role (LOGIN, password
// = role name: a local development default) and its database owned by that role, unless they
// exist. It returns each service's DATABASE_URL and a cleanup that drops them again when
// opts.DropDatabases is set.
func prepareDatabases(ctx context.Context, opts Options, log *slog.Logger) (map[string]string, func(context.Context) error, error) {
	admin, err := url.Parse(opts.DatabaseAdminURL)
	if err != nil {
		return nil, nil, fmt.Errorf("localstack: database admin URL: %w", err)
	}
	var names []string
	for _, svc := range opts.Services {
		if base, ok := Databases[svc]; ok {
			names = append(names, opts.DatabasePrefix+base)
		}
	}
	if len(names) == 0 {
		return map[string]string{}, nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return nil, nil, fmt.Errorf("localstack: PostgreSQL at %s: %w", admin.Redacted(), err)
	}
	defer conn.Close(context.Background())

	urls := map[string]string{}
	var created []string
	cleanup := func(ctx context.Context) error {
		if !opts.DropDatabases {
			return nil
		}
		return dropDatabases(ctx, admin.String(), created)
	}
	for _, svc := range opts.Services {
		base, ok := Databases[svc]
		if !ok {
			continue
		}
		name := opts.DatabasePrefix + base
		if err := ensureDatabase(ctx, conn, name); err != nil {
			_ = cleanup(context.WithoutCancel(ctx))
			return nil, nil, err
		}
		created = append(created, name)
		u := *admin
		u.User = url.UserPassword(name, name)
		u.Path = "/" + name
		urls[svc] = u.String()
	}
	log.Info("databases ready", "databases", names, "server", admin.Redacted())
	return urls, cleanup, nil
}

// ensureDatabase creates role and database name (owned by the role) when missing. A concurrent
// creation of the same name is not an error.
func ensureDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	ident := pgx.Identifier{name}.Sanitize()
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("localstack: role %s: %w", name, err)
	}
	if !exists {
		sql := fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s", ident, quoteLiteral(name))
		if _, err := conn.Exec(ctx, sql); err != nil && !isCode(err, "42710") { // duplicate_object
			return fmt.Errorf("localstack: create role %s: %w", name, err)
		}
	}
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("localstack: database %s: %w", name, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", ident, ident)); err != nil && !isCode(err, "42P04") { // duplicate_database
			return fmt.Errorf("localstack: create database %s: %w", name, err)
		}
	}
	return nil
}

// dropDatabases drops the databases (even with connections left) and their roles.
func dropDatabases(ctx context.Context, adminURL string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("localstack: drop databases: %w", err)
	}
	defer conn.Close(context.Background())
	var errs []error
	for _, name := range names {
		ident := pgx.Identifier{name}.Sanitize()
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("localstack: drop database %s: %w", name, err))
			continue
		}
		if _, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+ident); err != nil {
			errs = append(errs, fmt.Errorf("localstack: drop role %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
