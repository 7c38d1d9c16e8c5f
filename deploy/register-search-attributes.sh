#!/bin/sh
# One-shot (the `search-attributes` service): registers the processes' Keyword search attributes
# on the Temporal namespace, then exits 0. Idempotent: an attribute that already exists with the
# same type counts as done, so it runs on every `docker compose up`.
#
# Same list as domain/search.py (ALL_KEYS); keep them in step. Waits for the namespace (auto-setup
# creates it a little after the frontend starts serving) and retries transient errors; exits
# non-zero, so the worker and the API do not start, if Temporal never becomes usable or an
# attribute exists with another type.
set -u

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
ATTRIBUTES="${SEARCH_ATTRIBUTES:-ProcessType ProcessStatus CurrentStep CustomerCreditCode}"
ATTEMPTS="${ATTEMPTS:-90}"  # 2 s apart: three minutes
DELAY=2

give_up() {
    echo "search-attributes: $*" >&2
    exit 1
}

tries=0
until temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt "$ATTEMPTS" ] || give_up "namespace '$NAMESPACE' not reachable on $ADDRESS"
    echo "waiting for namespace '$NAMESPACE' on $ADDRESS ..."
    sleep "$DELAY"
done

for name in $ATTRIBUTES; do
    tries=0
    while :; do
        if out=$(temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" \
            --name "$name" --type Keyword 2>&1); then
            echo "added $name (Keyword)"
            break
        fi
        case "$out" in
            *"different type"*) give_up "$out" ;;
            *"already exists"* | *"AlreadyExists"*)
                echo "$name already registered"
                break
                ;;
        esac
        tries=$((tries + 1))
        [ "$tries" -lt "$ATTEMPTS" ] || give_up "could not add $name: $out"
        echo "retrying $name: $out"
        sleep "$DELAY"
    done
done

# Check that the namespace really lists every one (the frontend's cache refreshes within seconds).
tries=0
while :; do
    listed=$(temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" 2>&1) || listed=""
    missing=""
    for name in $ATTRIBUTES; do
        printf '%s\n' "$listed" | grep -qw -- "$name" || missing="$missing $name"
    done
    [ -z "$missing" ] && break
    tries=$((tries + 1))
    [ "$tries" -lt "$ATTEMPTS" ] || give_up "still not listed on '$NAMESPACE':$missing"
    sleep "$DELAY"
done
echo "search attributes ready on '$NAMESPACE': $ATTRIBUTES"
