#!/bin/sh
# ImagePipeline's deploy-time installer: what operators do without images, done the way Debian's
# installer does it (partition, install the package set from a local mirror, apply the
# configuration, install the boot loader), on the netbooted machine itself. It runs inside the
# installer's Debian tree (chroot) that the installer environment carries in its initramfs.
# It speaks the agent API like the deploy agent: register (for the image this install stands
# in for), result, reboot; the installed system's report agent then reports health the same way.
# Every phase's time goes to the console as "imagepipeline-install: phase NAME SECONDS".
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C DEBIAN_FRONTEND=noninteractive

say() { echo "imagepipeline-install: $*" > /dev/console; }
now() { cut -d' ' -f1 /proc/uptime; }
started=$(now)
mark=$started
phase() { t=$(now); say "phase $1 $(echo "$t $mark" | awk '{ printf "%.1f", $1 - $2 }')"; mark=$t; }

server="" token="" mac=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    imagepipeline.server=*) server="${arg#imagepipeline.server=}" ;;
    imagepipeline.token=*) token="${arg#imagepipeline.token=}" ;;
    imagepipeline.mac=*) mac="${arg#imagepipeline.mac=}" ;;
  esac
done

api() { curl -fsS --retry 5 --retry-connrefused -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data "$2" "$server$1"; }
image=""
fail() {
  say "failed: $1"
  reason=$(printf '%s' "$1" | tr -d '"\\' | head -c 300)
  api /agent/v1/result "{\"imageId\":\"${image:-none}\",\"succeeded\":false,\"reason\":\"deploy-time install: $reason\"}" >/dev/null
  exit 1
}

# The disk: the first non-removable whole disk with a size (the deploy agent's rule, simplified).
disk=""
for dev in /sys/block/*; do
  name=${dev##*/}
  case "$name" in loop*|ram*|sr*|zram*) continue ;; esac
  [ "$(cat "$dev/removable")" = 0 ] && [ "$(cat "$dev/size")" -gt 0 ] && { disk=/dev/$name; break; }
done
firmware=bios; [ -d /sys/firmware/efi ] && firmware=uefi
cores=$(grep -c ^processor /proc/cpuinfo)
memory=$(awk '/MemTotal/ { print $2 * 1024 }' /proc/meminfo)
facts="{\"firmware\":\"$firmware\",\"cpu\":{\"model\":\"deploy-time installer\",\"cores\":$cores},\"memoryBytes\":$memory,\"disks\":[{\"name\":\"${disk#/dev/}\",\"sizeBytes\":$(( $(cat /sys/block/${disk#/dev/}/size 2>/dev/null || echo 0) * 512 ))}],\"nics\":[{\"name\":\"nic\",\"mac\":\"$mac\"}],\"dmi\":{}}"
response=$(api /agent/v1/register "{\"agentVersion\":\"deploy-time-installer\",\"facts\":$facts}") || { say "register failed"; exit 1; }
image=$(printf '%s' "$response" | sed -n 's/.*"imageId":"\([0-9a-f]*\)".*/\1/p')
[ -n "$image" ] || { say "no assignment from the boot service: $response"; exit 1; }
[ -n "$disk" ] || fail "no disk to install to"
say "installing for image $image onto $disk ($firmware)"

# The preseed: the recipe's package set, layout and configuration tree (like d-i's preseed/url).
mkdir -p /tmp/preseed
curl -fsS "$server/files/installer/preseed.tar" | tar -x -C /tmp/preseed || fail "could not fetch the preseed from $server/files/installer/preseed.tar"
. /tmp/preseed/preseed.env
phase environment

# Partitions as the builder lays them out: the ESP at 1 MiB, the root filling the disk.
part() { case "$disk" in *[0-9]) echo "${disk}p$1" ;; *) echo "$disk$1" ;; esac; }
root_uuid=$(cat /proc/sys/kernel/random/uuid)
bootable=""; [ "$BIOS" = yes ] && bootable=', attrs="LegacyBIOSBootable"'
printf 'label: gpt\nunit: sectors\nfirst-lba: 2048\n\nstart=2048, size=%s, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"%s\nstart=%s, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=%s, name="root"\n' \
  "$ESP_SECTORS" "$bootable" "$((2048 + ESP_SECTORS))" "$root_uuid" | sfdisk --quiet --wipe always "$disk" || fail "sfdisk could not partition $disk"
blockdev --rereadpt "$disk" 2>/dev/null
sleep 1
mkfs.vfat -F 32 -n ESP "$(part 1)" >/dev/null || fail "mkfs.vfat failed on $(part 1)"
mkfs.ext4 -q -F -L root "$(part 2)" || fail "mkfs.ext4 failed on $(part 2)"
mkdir -p /target
mount "$(part 2)" /target || fail "could not mount $(part 2)"
phase partition

# The package set, from the mirror next to the preseed, slimmed as the builder's trees are
# (BaseRootfsStage.SlimOptions).
mmdebstrap --mode=root --variant=essential --include="$PACKAGES" \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*' \
  "$SUITE" /target "deb [trusted=yes] $server/files/installer/mirror/ ./" > /tmp/mmdebstrap.log 2>&1 \
  || fail "mmdebstrap failed: $(tail -n 3 /tmp/mmdebstrap.log | tr '\n' ' ')"
phase install

# The configuration: the builder's files and the recipe's, then its commands, services not started.
tar -x -C /target -f /tmp/preseed/overlay.tar || fail "could not unpack the configuration"
for fs in proc sys dev; do mount --bind "/$fs" "/target/$fs"; done
printf '#!/bin/sh\nexit 101\n' > /target/usr/sbin/policy-rc.d; chmod 755 /target/usr/sbin/policy-rc.d
chroot /target systemctl enable $UNITS >/dev/null 2>&1 || fail "systemctl enable $UNITS failed"
for file in /tmp/preseed/commands/*; do
  [ -f "$file" ] || continue
  chroot /target /bin/sh -c "$(cat "$file")" > /tmp/command.log 2>&1 || fail "recipe command ${file##*/} failed: $(tail -n 2 /tmp/command.log | tr '\n' ' ')"
done
rm -f /target/usr/sbin/policy-rc.d
phase configuration

# The boot loader: SYSLINUX (BIOS) and systemd-boot (UEFI) on the ESP, like the builder's images.
mkdir -p /esp
mount "$(part 1)" /esp || fail "could not mount the ESP"
cp /target/boot/vmlinuz-* /esp/vmlinuz && cp /target/boot/initrd.img-* /esp/initrd.img || fail "the installed system has no kernel or initrd in /boot"
cmdline=$(printf '%s' "$CMDLINE" | sed "s/ROOT_PARTUUID/$root_uuid/")
if [ "$UEFI" = yes ]; then
  mkdir -p /esp/EFI/BOOT /esp/loader/entries
  cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi /esp/EFI/BOOT/BOOTX64.EFI
  printf 'default %s.conf\ntimeout 0\neditor no\nconsole-mode keep\n' "$NAME" > /esp/loader/loader.conf
  printf 'title %s\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$NAME" "$cmdline" > "/esp/loader/entries/$NAME.conf"
fi
if [ "$BIOS" = yes ]; then
  printf 'SERIAL 0 115200\nPROMPT 0\nTIMEOUT 0\nDEFAULT image\nLABEL image\n  LINUX /vmlinuz\n  INITRD /initrd.img\n  APPEND %s\n' "$cmdline" > /esp/syslinux.cfg
fi
umount /esp
if [ "$BIOS" = yes ]; then
  syslinux --install "$(part 1)" || fail "syslinux --install failed"
  dd if=/usr/lib/syslinux/mbr/gptmbr.bin of="$disk" bs=440 count=1 conv=notrunc 2>/dev/null || fail "could not write the MBR boot code"
fi

# What the report agent in the new system reads: the boot service, this machine's token, the image
# it stands for (the last 4 KiB of the first MiB, as the deploy agent leaves it).
{ printf 'IMAGEPIPELINE-AGENT-1\n'; printf '{"server":"%s","token":"%s","mac":"%s","imageId":"%s"}' "$server" "$token" "$mac" "$image"; } > /tmp/agent-block
dd if=/dev/zero of=/tmp/agent-block.padded bs=4096 count=1 2>/dev/null
dd if=/tmp/agent-block of=/tmp/agent-block.padded conv=notrunc 2>/dev/null
dd if=/tmp/agent-block.padded of="$disk" bs=4096 seek=255 count=1 conv=notrunc,fsync 2>/dev/null || fail "could not write the agent's configuration block"
for fs in dev sys proc; do umount "/target/$fs"; done
umount /target || fail "could not unmount the installed root"
sync
phase bootloader

seconds=$(echo "$(now) $started" | awk '{ printf "%.1f", $1 - $2 }')
api /agent/v1/result "{\"imageId\":\"$image\",\"succeeded\":true,\"targetDisk\":\"$disk\",\"seconds\":$seconds}" >/dev/null || say "could not report the result"
say "installed in $seconds s; rebooting"
echo b > /proc/sysrq-trigger
