#!/bin/sh
# The compose stack's restore of a folder written by deploy/backup.sh (the `backup` service's image):
#
#   docker compose stop api worker temporal temporal-ui
#   docker compose --profile backup run --rm --entrypoint sh backup /usr/local/bin/restore.sh /backups/<stamp>
#   docker compose up -d
#
# Checks the files against SHA256SUMS first; refuses a database that holds tables unless FORCE=1
# (then pg_restore --clean replaces what it holds); nothing is written when a check fails.
# The app database is restored as its owner APP_ROLE (pg_restore --role), so its tables belong to
# the app's login (deploy/postgres-init.sql), not to the superuser this runs as; it goes first, so a
# failed app restore leaves every database as it was. Each database is one transaction: a failure
# after the first says which databases were replaced and stops (run it again with FORCE=1).
set -eu

FOLDER="${1:?usage: restore.sh <backup folder>}"
APP_DATABASE="${APP_DATABASE:-approvals}"
APP_ROLE="${APP_ROLE:-app}"
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
done_dbs=""
restore_one() {  # archive, database, pg_restore options
    # shellcheck disable=SC2086
    if ! pg_restore --no-owner --no-privileges --exit-on-error --single-transaction $clean $3 -d "$2" "$FOLDER/$1"; then
        if [ -z "$done_dbs" ]; then
            echo "restore: failed on $2; nothing was replaced: every database is as it was" >&2
        else
            echo "restore: failed on $2 after replacing$done_dbs: the databases are now MIXED (backup and" \
                "old state); do not start the stack: fix the cause above and run the restore again with FORCE=1" >&2
        fi
        exit 1
    fi
    done_dbs="$done_dbs $2"
}
restore_one app.dump "$APP_DATABASE" "--role=$APP_ROLE"
n=0
for db in $TEMPORAL_DATABASES; do
    n=$((n + 1))
    restore_one "temporal-$n.dump" "$db" ""
done
echo "restored $FOLDER; work done after it was taken is not in it"
