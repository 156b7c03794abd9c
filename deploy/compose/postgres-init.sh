#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory (mounted into
# /docker-entrypoint-initdb.d/ by docker-compose.yaml): one role and one database per service,
# each database owned by its role and closed to everyone else. Passwords come from the
# container's environment (see .env.example); changing them later needs `docker compose down -v`.
set -euo pipefail

create_service_db() {
  local name="$1" password="$2"
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
    -v name="$name" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name') \gexec
SQL
  echo "postgres-init: database and role \"$name\" created"
}

create_service_db orders "${ORDERS_DB_PASSWORD:?}"
create_service_db payments "${PAYMENTS_DB_PASSWORD:?}"
create_service_db notifications "${NOTIFICATIONS_DB_PASSWORD:?}"
create_service_db analytics "${ANALYTICS_DB_PASSWORD:?}"
