#!/bin/sh
# ImagePipeline initramfs for busybox images: load the storage drivers, find the root partition
# by its GPT PARTUUID (root=PARTUUID=... on the kernel command line), mount it and switch to it.
# Busybox's blkid does not report PARTUUIDs, so the GPT entry is read here directly.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

load-drivers disk

partuuid=""
fstype=ext4
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    root=PARTUUID=*) partuuid="${arg#root=PARTUUID=}" ;;
    rootfstype=*) fstype="${arg#rootfstype=}" ;;
  esac
done

fail() {
  echo "imagepipeline-initramfs: $*" > /dev/console
  echo "imagepipeline-initramfs: block devices: $(ls /sys/class/block | tr '\n' ' ')" > /dev/console
  exec sh
}
[ -n "$partuuid" ] || fail "no root=PARTUUID=... on the kernel command line"

# The GPT stores a GUID's first three fields little-endian (UEFI 2.10 appendix A).
hex=$(echo "$partuuid" | tr 'A-F' 'a-f' | tr -d '-')
swap() { echo "$1" | sed 's/\(..\)/\1 /g' | awk '{ for (i = NF; i > 0; i--) printf "%s", $i }'; }
want="$(swap "${hex:0:8}")$(swap "${hex:8:4}")$(swap "${hex:12:4}")${hex:16:16}"

find_root() {
  for part in /sys/class/block/*; do
    [ -f "$part/partition" ] || continue
    number=$(cat "$part/partition")
    disk=$(basename "$(readlink -f "$part/..")")
    # Entry array at LBA 2 (512-byte sectors), 128-byte entries, unique GUID at offset 16.
    offset=$((1024 + (number - 1) * 128 + 16))
    got=$(dd if="/dev/$disk" bs=1 skip="$offset" count=16 2>/dev/null | od -An -tx1 | tr -d ' \n')
    if [ "$got" = "$want" ]; then
      echo "/dev/${part##*/}"
      return 0
    fi
  done
  return 1
}

device=""
tries=0
while [ -z "$device" ]; do
  device=$(find_root) && break
  tries=$((tries + 1))
  [ "$tries" -lt 300 ] || fail "root partition PARTUUID=$partuuid did not appear within 30 s"
  sleep 0.1
done

mkdir -p /newroot
if [ "$fstype" = squashfs ]; then
  # A squashfs root is read-only: an overlay on tmpfs makes it writable for this boot only.
  mkdir -p /lower /upper
  mount -t squashfs -o ro "$device" /lower || fail "could not mount $device as squashfs"
  mount -t tmpfs tmpfs /upper
  mkdir -p /upper/rw /upper/work
  mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/rw,workdir=/upper/work /newroot || fail "could not mount the overlay root"
else
  mount -t "$fstype" -o rw "$device" /newroot || fail "could not mount $device ($fstype)"
fi

umount /sys /proc
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
