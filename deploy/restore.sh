#!/bin/sh
# The compose stack's restore of a folder written by deploy/backup.sh (the `backup` service's image):
#
#   docker compose stop api worker temporal temporal-ui
#   docker compose --profile backup run --rm --entrypoint sh backup /usr/local/bin/restore.sh /backups/<stamp>
#   docker compose up -d
#
# Checks the files against SHA256SUMS first; refuses a database that holds tables unless FORCE=1
# (then pg_restore --clean replaces what it holds); nothing is written when a check fails.
set -eu

FOLDER="${1:?usage: restore.sh <backup folder>}"
APP_DATABASE="${APP_DATABASE:-approvals}"
TEMPORAL_DATABASES="${TEMPORAL_DATABASES:-temporal temporal_visibility}"
FORCE="${FORCE:-0}"

(cd "$FOLDER" && sha256sum --quiet -c SHA256SUMS) || { echo "restore: refused: the backup is damaged" >&2; exit 1; }

tables() {
    psql -X -tA -d "$1" -c "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
}
for db in "$APP_DATABASE" $TEMPORAL_DATABASES; do
    if [ "$(tables "$db")" != "0" ] && [ "$FORCE" != "1" ]; then
        echo "restore: refused: $db already holds data; stop the stack and set FORCE=1 to replace it" >&2
        exit 1
    fi
done

clean=""
[ "$FORCE" = "1" ] && clean="--clean --if-exists"
restore_one() {  # archive, database
    # shellcheck disable=SC2086
    pg_restore --no-owner --no-privileges --exit-on-error --single-transaction $clean -d "$2" "$FOLDER/$1"
}
n=0
for db in $TEMPORAL_DATABASES; do
    n=$((n + 1))
    restore_one "temporal-$n.dump" "$db"
done
restore_one app.dump "$APP_DATABASE"
echo "restored $FOLDER; work done after it was taken is not in it"
