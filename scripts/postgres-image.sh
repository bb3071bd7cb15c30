#!/usr/bin/env bash
# Builds the local PostgreSQL image the PostgreSQL tests run through Testcontainers (there is no
# container registry to pull one from): Debian's postgresql-15 by mmdebstrap, imported with an
# entrypoint that honours POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB like the official
# image, and passes extra arguments (-c name=value) to postgres. Idempotent: an existing image of
# this script's version is kept. Prints the image name.
set -euo pipefail

version=1
image="imagepipeline/postgres:15-v$version"
export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/entrypoint" <<'ENTRYPOINT'
#!/bin/sh
# First start: a cluster owned by postgres with the requested superuser, password and database.
set -eu
bin=/usr/lib/postgresql/15/bin
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
[ "${1:-}" = postgres ] && shift
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "entrypoint: set POSTGRES_PASSWORD" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres "$bin/initdb" -D "$PGDATA" --username="$user" --pwfile="$pwfile" --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | as_postgres "$bin/postgres" --single -D "$PGDATA" -j postgres >/dev/null
  fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA" "$@"
ENTRYPOINT

echo "postgres-image: building $image with mmdebstrap (about a minute)" >&2
mmdebstrap --mode=root --variant=minbase --include=postgresql-15 \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook="copy-in $work/entrypoint /usr/local/bin" \
  --customize-hook='chmod 755 "$1/usr/local/bin/entrypoint"' \
  --customize-hook='rm -rf "$1"/usr/lib/postgresql/15/lib/bitcode "$1"/usr/lib/postgresql/15/lib/llvmjit*.so "$1"/usr/lib/x86_64-linux-gnu/libLLVM-*' \
  --customize-hook='rm -rf "$1"/var/lib/postgresql/15 "$1"/etc/postgresql/15 "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
  bookworm "$work/rootfs.tar" >&2

docker import \
  --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PGDATA=/var/lib/postgresql/data' \
  --change 'EXPOSE 5432' \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint"]' \
  --change 'CMD ["postgres"]' \
  "$work/rootfs.tar" "$image" >/dev/null
echo "$image"
