#!/bin/sh
# Loads the drivers of a busybox initramfs (the builder's BusyboxInitramfs writes its tables):
# those the hardware present needs, found as udev finds them (each PCI and virtio device's
# modalias against the drivers' patterns in /etc/modules.aliases; twice, as virtio devices appear
# once virtio_pci is loaded), then those tied to no device (filesystems, checksums, SCSI disks),
# each after its dependencies (/etc/modules.sets). Loading every driver of the list whether its
# hardware is there or not took ~4 s of CPU of each netboot under TCG.
# The arguments name what must be there afterwards (disk, nic): when one is missing (hardware
# whose driver does not match it by its id), every driver of the list is loaded, as before.
loaded=" "

insmod_once() {
  for file in "$@"; do
    case "$loaded" in *" $file "*) continue ;; esac
    insmod "/lib/modules/$file" 2>/dev/null
    loaded="$loaded$file "
  done
}

# The names of the drivers whose patterns match a device present now, one per line.
present_drivers() {
  devices=$(cat /sys/bus/pci/devices/*/modalias /sys/bus/virtio/devices/*/modalias 2>/dev/null)
  # Only the table's lines that can match (the rest name another vendor and device): those naming
  # this vendor and device ("pci:v00008086d0000100E"), any vendor or any device (class patterns), virtio.
  ids=""
  for device in $devices; do
    case "$device" in pci:*) ids="$ids -e ${device%%sv*}" ;; esac
  done
  grep -F -e 'pci:v*' -e 'd*sv' -e 'virtio:' $ids /etc/modules.aliases | while read -r pattern name; do
    for device in $devices; do
      case "$device" in $pattern) echo "$name"; break ;; esac
    done
  done
}

# load all|always|"NAME NAME...": every set, those tied to no device, or the ones named.
load() {
  while read -r name kind files; do
    case "$1" in
      all) ;;
      always) [ "$kind" = always ] || continue ;;
      *) case " $1 " in *" $name "*) ;; *) continue ;; esac ;;
    esac
    insmod_once $files
  done < /etc/modules.sets
}

# Whether a device of the kind is there: a block device or a NIC backed by hardware (not loop, ram, lo).
found() {
  case "$1" in
    disk) set -- /sys/block/* ;;
    nic) set -- /sys/class/net/* ;;
  esac
  for entry in "$@"; do
    [ -e "$entry/device" ] && return 0
  done
  return 1
}

load "$(present_drivers | tr '\n' ' ')"
load "$(present_drivers | tr '\n' ' ')"
load always

for need in "$@"; do
  tries=0
  until found "$need"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 6 ]; then
      echo "load-drivers: no $need found by the hardware's ids; loading every driver" > /dev/console
      load all
      exit 0
    fi
    sleep 0.5
  done
done
