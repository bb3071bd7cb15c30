#!/usr/bin/env bash
# Installs every system package ImagePipeline and its tests use. Idempotent, and quick when all
# is present: it asks dpkg first and only calls apt when something is missing.
set -euo pipefail

packages=(
  # image builder
  mmdebstrap debian-archive-keyring dosfstools mtools squashfs-tools e2fsprogs fdisk zstd cpio
  kmod syslinux syslinux-common systemd-boot-efi qemu-utils
  # read-only roots: erofs, and dm-verity's hash tree over them
  erofs-utils cryptsetup-bin
  # recipe commands run sandboxed (pipeline/ImagePipeline.Builder/Tools/CommandSandbox.cs)
  bubblewrap
  # validation harness and virtual PXE networks
  qemu-system-x86 ovmf ipxe-qemu iproute2
  # boot service: iPXE binaries it serves; real clients and peers its tests and benchmarks use
  ipxe busybox udhcpc tftp-hpa tftpd-hpa nginx-light curl
  # delta deploys: casync is the peer `imagepipe bench delta` measures the agent against
  casync
  # pipeline server: recipe sources are git repositories; PostgreSQL tests and bench jobs run a
  # local PostgreSQL image (scripts/postgres-image.sh) in Docker
  git tar docker.io
  # web UI browser tests (Playwright drives Debian's Chromium, no downloaded browser)
  chromium fonts-dejavu-core
  # the agent outside .NET: glibc and OpenSSL it loads, the CA bundle for HTTPS
  libc6 libssl3 ca-certificates
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A third-party source that is unreachable must not stop us: only Debian's archive is needed.
  apt-get update -qq -o APT::Update::Error-Mode=any >/dev/null 2>&1 || apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
