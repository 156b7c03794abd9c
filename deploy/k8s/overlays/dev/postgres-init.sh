#!/bin/sh
# Runs once, when the data volume is empty (docker-entrypoint-initdb.d): one role and one
# database per service, each owned by its role. Passwords come from the
# postgres-credentials Secret through the environment.
set -eu

create() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="$1" -v password="$2" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
SQL
}

create orders "$ORDERS_PASSWORD"
create payments "$PAYMENTS_PASSWORD"
create notifications "$NOTIFICATIONS_PASSWORD"
create analytics "$ANALYTICS_PASSWORD"
