#!/bin/sh
# The compose stack's backup (the `backup` service, profile `backup`): Temporal's PostgreSQL
# databases and the app's into $BACKUP_DIR/<UTC stamp>/, with the manifest.json that
# `python -m scripts.restore` checks (sizes, SHA-256) and a SHA256SUMS for `sha256sum -c`.
#
#   docker compose --profile backup run --rm backup
#
# The same cut as scripts/backup.py: the app database's writes are held (EXCLUSIVE locks on its
# tables; reads go on) while Temporal is dumped, and the app is dumped from the snapshot taken
# under those locks. A process's write always reaches the app database before Temporal records
# it, so the Temporal dumps know no write the app dump lacks. Runs while the stack runs.
# Needs pg_dump 16 (the postgres:16 image) and libpq's PGHOST/PGUSER/PGPASSWORD.
set -eu

BACKUP_DIR="${BACKUP_DIR:-/backups}"
APP_DATABASE="${APP_DATABASE:-approvals}"
TEMPORAL_DATABASES="${TEMPORAL_DATABASES:-temporal temporal_visibility}"
SETTLE_SECONDS="${SETTLE_SECONDS:-2}"

umask 077  # customer data in clear: the folders and dumps are readable by this user only
DIR="$BACKUP_DIR/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$DIR"
trap 'test -f "$DIR/manifest.json" || rm -rf "$DIR"' EXIT  # no half backup that looks like one
export DIR APP_DATABASE TEMPORAL_DATABASES SETTLE_SECONDS

psql -X -q -v ON_ERROR_STOP=1 -d "$APP_DATABASE" <<'SQL'
BEGIN;
SET LOCAL lock_timeout = '30s';
SELECT format('LOCK TABLE %s IN EXCLUSIVE MODE', string_agg(format('%I.%I', schemaname, tablename), ', '))
  FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \gexec
SELECT pg_export_snapshot() AS snapshot, (SELECT version_num FROM alembic_version) AS schema \gset
\setenv SNAPSHOT :snapshot
\setenv APP_SCHEMA :schema
\! date -u +%Y-%m-%dT%H:%M:%SZ > "$DIR/.cut" && printf %s "$APP_SCHEMA" > "$DIR/.schema"
\! sleep "$SETTLE_SECONDS"
\! n=0; for db in $TEMPORAL_DATABASES; do n=$((n + 1)); pg_dump -Fc --no-owner --no-privileges -f "$DIR/temporal-$n.dump" "$db" || touch "$DIR/.failed"; done
\! pg_dump -Fc --no-owner --no-privileges --snapshot="$SNAPSHOT" -f "$DIR/app.dump" "$APP_DATABASE" || touch "$DIR/.failed"
ROLLBACK;
SQL
if [ -e "$DIR/.failed" ] || [ ! -s "$DIR/app.dump" ]; then
    echo "backup: a pg_dump failed; nothing kept" >&2
    exit 1
fi

entry() {  # role, file, database
    printf '    {"role": "%s", "kind": "postgresql", "file": "%s", "source": "postgresql://%s@%s/%s", "bytes": %s, "sha256": "%s"}' \
        "$1" "$2" "${PGUSER:-}" "${PGHOST:-}" "$3" "$(wc -c < "$DIR/$2" | tr -d ' ')" "$(sha256sum "$DIR/$2" | cut -d' ' -f1)"
}
schema="$(cat "$DIR/.schema")"
{
    printf '{\n  "format": 1,\n  "created_at": "%s",\n' "$(cat "$DIR/.cut")"
    printf '  "app_schema": "%s",\n  "code_schema_head": "%s",\n' "$schema" "$schema"
    printf '  "app_version": "compose",\n  "temporal_cli": null,\n  "pg_dump": "%s",\n' "$(pg_dump --version)"
    printf '  "settle_seconds": %s,\n  "files": [\n' "$SETTLE_SECONDS"
    entry app app.dump "$APP_DATABASE"
    n=0
    for db in $TEMPORAL_DATABASES; do
        n=$((n + 1))
        printf ',\n'
        entry temporal "temporal-$n.dump" "$db"
    done
    printf '\n  ]\n}\n'
} > "$DIR/manifest.json.tmp"
rm -f "$DIR/.cut" "$DIR/.schema"
(cd "$DIR" && sha256sum app.dump temporal-*.dump > SHA256SUMS)
mv "$DIR/manifest.json.tmp" "$DIR/manifest.json"
echo "backup written to $DIR"
