#!/bin/sh
# Captures the /sys and /proc files HardwareFactsReader reads into DIR, so a machine's view can
# become a test fixture: ./capture-sys.sh Captured/NAME (run on the machine, as root).
set -eu
out=$1
copy() { [ -r "$1" ] && mkdir -p "$out/$(dirname "${1#/}")" && cat "$1" > "$out/${1#/}" 2>/dev/null || true; }
link() { [ -L "$1" ] && mkdir -p "$out/$(dirname "${1#/}")" && ln -sfn "$(readlink "$1")" "$out/${1#/}" || true; }
for d in /sys/block/*; do
  mkdir -p "$out${d}"
  for f in size removable queue/rotational serial device/model device/serial; do copy "$d/$f"; done
done
for n in /sys/class/net/*; do
  mkdir -p "$out${n}"
  for f in address speed; do copy "$n/$f"; done
  if [ -e "$n/device" ]; then mkdir -p "$out$n/device"; link "$n/device/driver"; fi
done
for f in sys_vendor product_name product_serial; do copy "/sys/class/dmi/id/$f"; done
[ -d /sys/firmware/efi ] && mkdir -p "$out/sys/firmware/efi"
for f in cpuinfo meminfo mounts; do copy "/proc/$f"; done
