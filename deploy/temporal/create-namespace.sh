#!/bin/sh
# One-shot, re-runnable: waits for the Temporal frontend, then creates the namespace unless it
# exists. `setup` (search attributes) starts only after this has succeeded, so it cannot race it.
set -eu
ns="${TEMPORAL_NAMESPACE:?}"
tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -ge 60 ] && { echo "Temporal at $TEMPORAL_ADDRESS did not answer in 120 s" >&2; exit 1; }
  sleep 2
done
if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$ns" >/dev/null 2>&1; then
  echo "namespace $ns exists"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$ns" --retention "${TEMPORAL_RETENTION:-30d}"
  echo "namespace $ns created"
fi
