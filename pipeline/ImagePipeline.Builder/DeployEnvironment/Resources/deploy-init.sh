#!/bin/sh
# ImagePipeline deploy environment: the netboot system the boot service's iPXE script starts.
# It loads the storage and NIC drivers of the hardware present (load-drivers), brings up the NIC
# the machine booted from with DHCP, and hands over to the agent, which registers, writes the image and reboots. Without an agent (an
# environment built for a test) it reports itself on the console and waits.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /run /tmp
mount -t tmpfs tmpfs /run
dmesg -n 1

say() { echo "imagepipeline-deploy: $*" > /dev/console; }

load-drivers disk nic

server="" mac=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    imagepipeline.server=*) server="${arg#imagepipeline.server=}" ;;
    imagepipeline.mac=*) mac="${arg#imagepipeline.mac=}" ;;
  esac
done
say "kernel $(uname -r) up, server ${server:-none}, boot MAC ${mac:-unknown}"

# The NIC to use is the one the machine network-booted from; any NIC with a lease otherwise.
iface=""
for dev in /sys/class/net/*; do
  name=${dev##*/}
  [ "$name" = lo ] && continue
  if [ -z "$mac" ] || [ "$(cat "$dev/address")" = "$mac" ]; then iface=$name; break; fi
done
if [ -z "$iface" ]; then
  say "no NIC with MAC $mac; NICs: $(ls /sys/class/net | tr '\n' ' ')"
else
  ip link set lo up
  ip link set "$iface" up
  if udhcpc -i "$iface" -s /etc/udhcpc.script -q -f -n -t 10 -T 2 >/dev/null 2>&1; then
    say "network $iface address $(ip -4 -o addr show dev "$iface" | awk '{print $4}')"
  else
    say "no DHCP lease on $iface"
  fi
fi

# An installer environment (bench seed's peer: install at deploy time instead of writing an
# image) appends its own initramfs with /bin/imagepipe-install, which runs in the agent's place.
if [ -x /bin/imagepipe-install ]; then
  /bin/imagepipe-install
  say "the installer exited ($?) without rebooting; console shell follows"
  exec setsid cttyhack sh
fi
if [ -x /bin/imagepipe-agent ]; then
  export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
  /bin/imagepipe-agent deploy
  say "the agent exited ($?) without rebooting; console shell follows"
  exec setsid cttyhack sh
fi
say "no agent in this environment; console shell follows"
exec setsid cttyhack sh
