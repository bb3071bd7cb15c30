#!/usr/bin/env bash
# Starts Docker's daemon when it is not running (machines without systemd: CI containers, this
# lab box) and waits until it answers. Idempotent. The PostgreSQL tests use it through
# Testcontainers; nothing else in ImagePipeline needs Docker.
set -euo pipefail

if docker version >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-daemon: Docker's daemon is not running; start it (systemctl start docker) or run as root" >&2
  exit 1
fi
log=/var/log/imagepipe-dockerd.log
if command -v systemctl >/dev/null 2>&1 && systemctl start docker >/dev/null 2>&1; then
  :
else
  setsid dockerd >"$log" 2>&1 < /dev/null &
fi
for _ in $(seq 1 60); do
  docker version >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "docker-daemon: dockerd did not answer within 30 s; see $log" >&2
exit 1
