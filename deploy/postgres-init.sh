#!/bin/sh
# Runs once, on an empty data directory: creates the app's database and user.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v app_password="$APP_DB_PASSWORD" -f /docker-entrypoint-initdb.d/10-app.sql.template
