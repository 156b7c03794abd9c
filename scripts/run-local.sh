#!/usr/bin/env bash
# make run: the five services and their daprd sidecars as local processes on
# ports 8080-8084, against the local PostgreSQL and Redis. Databases and roles are created if
# missing; logs go to .run/logs; Ctrl-C stops everything.
# Environment: DATABASE_ADMIN_URL, REDIS_ADDR, REDIS_DB, API_KEYS, ADMIN_API_KEYS, DAPRD, ...
# (see e2e/cmd/orderflow-local).
source "$(dirname "$0")/lib.sh"
export DATABASE_ADMIN_URL="${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
export REDIS_ADDR="${REDIS_ADDR:-127.0.0.1:6379}"
mkdir -p .run/bin
go build -o .run/bin/orderflow-local ./e2e/cmd/orderflow-local
exec .run/bin/orderflow-local "$@"
