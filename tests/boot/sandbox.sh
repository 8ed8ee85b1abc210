#!/bin/bash
#
# One simulated EC2 instance for the boot harness (tests/boot/README.md).
#
#   sandbox.sh start <dir>          boot it (root disk: <dir>/upper over the host's /)
#   sandbox.sh run <dir> <script>   run a user data script in it as cloud-init would
#   sandbox.sh exec <dir> <cmd>...  run a command in it, as root
#   sandbox.sh stop <dir>           power it off (its root disk stays in <dir>/upper)
#
# The instance is a set of fresh Linux namespaces (mount, PID, network, UTS,
# IPC) whose root is an overlay: the host's / read-only below, <dir>/upper
# above, so nothing the script does reaches the host. /run and /tmp are tmpfs
# as on a real host, so a stop and start is a reboot; a new <dir> on the same
# volume image is a replacement instance. <dir>/instance.env says what the
# instance has: VOLUME_IMAGE (a file system image attached as a loop device,
# under Nitro's /dev/disk/by-id name for VOLUME_ID, and DEVICE_NAME if set),
# ADDRESS (its private IPv4 address), HOSTS (extra /etc/hosts lines).
# <dir>/fixtures is what
# the aws CLI stand-in answers (fakes/aws). The stand-ins in fakes/ are
# the lower layer of /usr/local/bin.
#
# Instances share one network, as a VPC's subnets do: a bridge in the host's
# namespace (named after the harness's work folder, so two harnesses never
# share one) and a veth per instance, whose end in the instance is eth0 with
# the private address on 10.0.0.0/16. The bridge has no address, so nothing
# routes to the host; the last instance to stop removes it.
#
#   sandbox.sh network-check <work-dir>  fails, naming them, if a bridge or
#                                        veth of that work folder is left
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "${here}/../.." && pwd)
readonly here project
# The IMDS stand-in and process recorder (tests/boot/agent.ts, compiled), as
# the instance sees them: the project is mounted at /harness-project, because
# the instance's /tmp is its own (a clone under /tmp would vanish).
readonly node_bin=/harness-project/node_modules/.bin/node agent=/harness-project/bin/tests/boot/agent.js

instance_pid() {
  local -r dir=$1
  [[ -r "${dir}/pid" ]] || {
    echo "sandbox ${dir} is not running" >&2
    return 1
  }
  cat -- "${dir}/pid"
}

enter() {
  local -r dir=$1
  shift
  local pid
  pid=$(instance_pid "$dir")
  nsenter --target "$pid" --mount --uts --ipc --net --pid --root --wd -- "$@"
}

# The bridge of the instances whose folders are in <work-dir>: st + 8 hex
# digits of the folder's path, within the 15 characters of a link name.
bridge_of() {
  local -r work=$1
  printf 'st%s' "$(printf '%s' "$work" | md5sum | cut -c1-8)"
}

# Links the instance whose namespaces' first process is <pid> to the bridge:
# eth0 inside; outside, the bridge's first six characters, v and the pid.
connect() {
  local -r dir=$1 pid=$2
  local bridge
  bridge=$(bridge_of "$(dirname "$dir")")
  local -r veth="${bridge:0:6}v${pid}"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge 2>/dev/null || ip link show "$bridge" >/dev/null
    ip link set "$bridge" up
  fi
  ip link add "$veth" type veth peer name eth0 netns "$pid"
  ip link set "$veth" master "$bridge" up
  printf '%s\n' "$veth" >"${dir}/veth"
}

# Removes the instance's veth (both ends), and the bridge once no instance is on it.
disconnect() {
  local -r dir=$1
  local bridge
  bridge=$(bridge_of "$(dirname "$dir")")
  if [[ -r "${dir}/veth" ]]; then
    ip link del "$(<"${dir}/veth")" 2>/dev/null || true
    rm -f -- "${dir}/veth"
  fi
  if ip link show "$bridge" >/dev/null 2>&1 && [[ -z $(ip -o link show master "$bridge") ]]; then
    ip link del "$bridge" 2>/dev/null || true
  fi
}

network_check() {
  local -r work=$1
  local bridge left
  bridge=$(bridge_of "$work")
  left=$(ip -o link show | awk -F': ' '{ print $2 }' | grep -E "^${bridge:0:6}" || true)
  if [[ -n $left ]]; then
    echo "left on the host: ${left//$'\n'/ }" >&2
    return 1
  fi
}

# Inside the new namespaces, still seeing the host: builds the instance's root.
init_namespaces() {
  local -r dir=$1 loop=$2
  local -r root="${dir}/root"
  # shellcheck source=/dev/null
  source "${dir}/instance.env"
  local fresh=false
  [[ -n $(ls -A "${dir}/upper") ]] || fresh=true
  mount -t overlay overlay -o "lowerdir=/,upperdir=${dir}/upper,workdir=${dir}/work" "$root"
  if [[ $fresh == true ]]; then
    # A new instance has none of the services the harness host has installed
    # from Debian (they stand in for RPMs the script has yet to install), and
    # none of them enabled.
    rm -f "${root}"/etc/systemd/system/*.wants/*
    # Amazon Linux's dnf keeps its repositories here; scripts add theirs.
    install -d -m 0755 "${root}/etc/yum.repos.d"
  fi
  mount -t proc proc "${root}/proc"
  mount --rbind -o ro /sys "${root}/sys"
  mount -t tmpfs -o mode=0755 tmpfs "${root}/dev"
  local node
  for node in null zero full random urandom tty; do
    touch "${root}/dev/${node}"
    mount --bind "/dev/${node}" "${root}/dev/${node}"
  done
  install -d "${root}/dev/pts" "${root}/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "${root}/dev/pts"
  ln -s pts/ptmx "${root}/dev/ptmx"
  mount -t tmpfs tmpfs "${root}/dev/shm"
  ln -s /proc/self/fd "${root}/dev/fd"
  if [[ -n $loop ]]; then
    touch "${root}${loop}"
    mount --bind "$loop" "${root}${loop}"
    install -d "${root}/dev/disk/by-id"
    ln -s "../../${loop#/dev/}" "${root}/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID//-/}"
    # AL2023's udev rules also link the device name a launch template gave it.
    if [[ -n ${DEVICE_NAME-} ]]; then
      ln -s "${loop#/dev/}" "${root}${DEVICE_NAME}"
    fi
  fi
  mount -t tmpfs -o mode=0755 tmpfs "${root}/run"
  mount -t tmpfs -o mode=1777 tmpfs "${root}/tmp"
  install -d "${root}/harness" "${root}/harness-packages"
  mount --bind -o ro "${dir}/fixtures" "${root}/harness"
  mount --bind -o ro "${here}/packages" "${root}/harness-packages"
  # The stand-ins shadow the real commands from /usr/local/bin, which stays
  # writable (scripts install tools there): an overlay with its own upper layer.
  install -d "${dir}/local-bin" "${dir}/local-bin-work"
  mount -t overlay overlay -o "lowerdir=${here}/fakes,upperdir=${dir}/local-bin,workdir=${dir}/local-bin-work" \
    "${root}/usr/local/bin"
  install -d "${root}/harness-project"
  mount --bind -o ro "$project" "${root}/harness-project"
  hostname "ip-${ADDRESS//./-}"
  # shellcheck disable=SC2016 # expanded by the instance's shell
  exec chroot "$root" /bin/bash -c '
    set -euo pipefail
    ip link set lo up
    # eth0 is put here from the host (sandbox.sh connect) once this exists.
    for _ in $(seq 200); do
      ip link show eth0 >/dev/null 2>&1 && break
      sleep 0.05
    done
    ip addr add "$1/16" dev eth0
    ip link set eth0 up
    printf "127.0.0.1 localhost\n%s %s\n%b" "$1" "$(hostname)" "$2" >/etc/hosts
    : >>/var/log/harness-commands.log
    # The metadata service sits across a link of its own, as on EC2, so that
    # nothing it listens on can collide with the services under test.
    unshare --net "$3" "$4" >>/var/log/harness-agent.log 2>&1 &
    agent=$!
    until [[ $(readlink "/proc/${agent}/ns/net") != "$(readlink /proc/self/ns/net)" ]]; do
      sleep 0.02
    done
    ip link add imds0 type veth peer name imds1 netns "$agent"
    ip addr add 169.254.0.2/16 dev imds0
    ip link set imds0 up
    nsenter --target "$agent" --net /bin/sh -c "ip link set lo up && ip addr add 169.254.169.254/16 dev imds1 && ip link set imds1 up"
    for _ in $(seq 50); do
      curl -fsS -o /dev/null -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 5" http://169.254.169.254/latest/api/token && break
      sleep 0.1
    done
    systemctl harness-boot >>/var/log/harness-boot.log 2>&1 || true
    touch /run/harness-ready
    # PID 1 reaps the orphans, as init does.
    exec /bin/bash -c "while :; do sleep 60 & wait; done"
  ' _ "$ADDRESS" "${HOSTS-}" "$node_bin" "$agent"
}

start() {
  local -r dir=$1
  [[ ! -e "${dir}/pid" ]] || {
    echo "sandbox ${dir} is already running" >&2
    return 1
  }
  install -d "${dir}/upper" "${dir}/work" "${dir}/root" "${dir}/fixtures"
  # shellcheck source=/dev/null
  source "${dir}/instance.env"
  local loop=""
  if [[ -n ${VOLUME_IMAGE-} ]]; then
    loop=$(losetup --find --show -- "$VOLUME_IMAGE")
    printf '%s\n' "$loop" >"${dir}/loop"
  fi
  unshare --mount --propagation private --pid --fork --net --uts --ipc -- \
    "${BASH_SOURCE[0]}" __init "$dir" "$loop" >"${dir}/init.log" 2>&1 &
  local -r unshare_pid=$!
  local child=""
  for _ in $(seq 100); do
    child=$(cat "/proc/${unshare_pid}/task/${unshare_pid}/children" 2>/dev/null || true)
    child=${child%% *}
    [[ -n $child ]] && break
    sleep 0.05
  done
  [[ -n $child ]] || {
    cat "${dir}/init.log" >&2
    return 1
  }
  printf '%s\n' "$child" >"${dir}/pid"
  printf '%s\n' "$unshare_pid" >"${dir}/unshare-pid"
  connect "$dir" "$child"
  for _ in $(seq 600); do
    if enter "$dir" test -e /run/harness-ready 2>/dev/null; then
      return 0
    fi
    kill -0 "$unshare_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "${dir}/init.log" >&2
  echo "sandbox ${dir} did not come up" >&2
  stop "$dir"
  return 1
}

stop() {
  local -r dir=$1
  local pid unshare_pid
  if [[ -r "${dir}/pid" ]]; then
    pid=$(<"${dir}/pid")
    unshare_pid=$(<"${dir}/unshare-pid")
    # The namespace's PID 1: every process of the instance goes with it.
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$unshare_pid" 2>/dev/null || break
      sleep 0.05
    done
    rm -f -- "${dir}/pid" "${dir}/unshare-pid"
  fi
  disconnect "$dir"
  if [[ -r "${dir}/loop" ]]; then
    local loop
    loop=$(<"${dir}/loop")
    for _ in $(seq 50); do
      losetup -d "$loop" 2>/dev/null && break
      sleep 0.1
    done
    rm -f -- "${dir}/loop"
  fi
}

# cloud-init runs user data as root with a minimal environment.
run_script() {
  local -r dir=$1 script=$2
  enter "$dir" install -d -m 0700 /var/lib/cloud/instance/scripts
  enter "$dir" /bin/bash -c 'cat >/var/lib/cloud/instance/scripts/part-001 && chmod 0700 /var/lib/cloud/instance/scripts/part-001' <"$script"
  enter "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 /var/lib/cloud/instance/scripts/part-001
}

case ${1-} in
  start) start "$2" ;;
  stop) stop "$2" ;;
  run) run_script "$2" "$3" ;;
  exec)
    dir=$2
    shift 2
    enter "$dir" "$@"
    ;;
  network-check) network_check "$2" ;;
  __init) init_namespaces "$2" "$3" ;;
  *)
    echo "usage: sandbox.sh start|stop|run|exec <dir> ... | network-check <work-dir>" >&2
    exit 2
    ;;
esac
