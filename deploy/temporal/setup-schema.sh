#!/bin/sh
# One-shot, re-runnable: creates or upgrades Temporal's schemas in the databases postgres-init
# made, as the `temporal` role (not a superuser). `setup-schema -v 0.0` creates the version tables
# when missing and never lowers a recorded version (temporal-sql-tool skips it when the schema is
# newer); `update-schema` applies the versioned steps not yet applied, so a newer
# temporalio/admin-tools image upgrades the schema before the matching server starts.
set -eu
: "${SQL_PASSWORD:?}"
for db in temporal temporal_visibility; do
  case "$db" in temporal) dir=temporal ;; *) dir=visibility ;; esac
  temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u temporal --db "$db" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u temporal --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
echo 'temporal schemas up to date'
