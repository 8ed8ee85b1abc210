# shellcheck shell=bash
#
# Helpers shared by the scale-tiers bootstrap scripts. Not a script of its own:
# the renderer (render.ts) inlines this file where a script says
# `# scale-tiers:include common.sh`, after the variables and `set -euo pipefail`.
#
# Provides: log, die, retry, start_logging (log file + console, EXIT and ERR
# traps), take_lock, files_differ, install_file, install_missing_packages,
# imds_get, mount_data_volume, require_mount_for_service,
# label_like_for_selinux, write_tool_script,
# install_timer, run_timer_service, install_cloudwatch_agent_sync,
# fetch_secret, json_string, and work_dir (set it with mktemp -d; removed on
# exit).

readonly log_file=/var/log/scale-tiers-bootstrap.log
readonly lock_file=/run/scale-tiers-bootstrap.lock
# The instance is created before its data volume is attached to it.
readonly attach_timeout_seconds=900
work_dir=""

# cloud-init runs user data with a minimal environment; the aws CLI wants HOME.
export HOME="${HOME:-/root}"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin

# Messages go to stderr so that functions whose stdout is captured stay clean.
log() {
  printf '%(%Y-%m-%dT%H:%M:%S%z)T scale-tiers-bootstrap: %s\n' -1 "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# Removes the work directory, where scripts stage files and keep client option
# files holding passwords.
on_exit() {
  local -r status=$?
  if [[ -n $work_dir ]]; then
    rm -rf -- "$work_dir"
  fi
  if ((status != 0)); then
    log "FAILED (exit status ${status}); see ${log_file}"
  fi
}

# Runs a command until it succeeds, at most max_attempts times, waiting 2, 4,
# 8... seconds (capped at 30) in between: the network, the instance role's
# credentials and the package mirrors are not always ready the moment we boot.
# Never pass a secret as an argument: the command line is logged.
retry() {
  local -r max_attempts=$1
  shift
  local attempt=1 delay=2
  until "$@"; do
    if ((attempt >= max_attempts)); then
      log "giving up after ${attempt} attempts: $*"
      return 1
    fi
    log "attempt ${attempt}/${max_attempts} failed, retrying in ${delay}s: $*"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

start_logging() {
  exec > >(tee -a "$log_file") 2>&1
  trap on_exit EXIT
  trap 'log "command failed (exit status $?) at line ${LINENO} of the rendered script"' ERR
}

# cloud-init and an SSM re-run could otherwise overlap and fight over dnf, the
# configuration files, volumes and services.
take_lock() {
  exec 9>"$lock_file"
  flock -w 1800 9 || die "another bootstrap run still holds ${lock_file}"
}

# True when dest is missing or its content differs from src.
files_differ() {
  [[ ! -f $2 ]] || ! cmp -s "$1" "$2"
}

# Copies src's content into dest. Writing through an existing file (rather
# than mv) keeps the SELinux label and ownership the package gave it.
install_file() {
  local -r src=$1 dest=$2 mode=$3 owner=$4 group=$5
  if [[ ! -e $dest ]]; then
    install -m "$mode" -o "$owner" -g "$group" /dev/null "$dest"
  fi
  cat -- "$src" >"$dest"
  chmod "$mode" "$dest"
  chown "${owner}:${group}" "$dest"
  log "wrote ${dest}"
}

install_missing_packages() {
  local -a missing=()
  local package
  for package in "$@"; do
    rpm -q --quiet "$package" || missing+=("$package")
  done
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    retry 5 dnf install -y "${missing[@]}"
  fi
}

# Prints an instance metadata value (IMDSv2: the launch template requires a
# token).
imds_get() {
  local token
  token=$(curl -fsS --max-time 5 -X PUT http://169.254.169.254/latest/api/token \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
  curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" \
    "http://169.254.169.254/latest/meta-data/$1"
}

# ---------------------------------------------------------------------------
# Data volume
# ---------------------------------------------------------------------------

# Nitro instances expose EBS volumes as NVMe devices whose by-id link carries
# the volume id, which proves it is the right volume. Xen instances only have
# the attachment name, which the kernel may call /dev/xvdX instead of /dev/sdX.
data_device_candidates() {
  local -r volume=$1 attachment=$2
  printf '%s\n' "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volume//-/}"
  printf '%s\n' "$attachment"
  if [[ $attachment =~ ^/dev/sd([a-z]+)$ ]]; then
    printf '/dev/xvd%s\n' "${BASH_REMATCH[1]}"
  fi
}

find_data_device() {
  local candidate
  while IFS= read -r candidate; do
    if [[ -b $candidate ]]; then
      readlink -f -- "$candidate"
      return 0
    fi
  done < <(data_device_candidates "$@")
  return 1
}

wait_for_data_device() {
  local -r volume=$1 attachment=$2 target=$3
  local -r deadline=$((SECONDS + attach_timeout_seconds))
  local device next_report=$SECONDS
  until device=$(find_data_device "$volume" "$attachment"); do
    if ((SECONDS >= deadline)); then
      die "volume ${volume} (${attachment}) not attached after ${attach_timeout_seconds}s"
    fi
    if ((SECONDS >= next_report)); then
      log "waiting for volume ${volume} (${attachment}) to be attached"
      next_report=$((SECONDS + 60))
    fi
    sleep 5
  done
  # The block device can appear before udev has finished probing it.
  udevadm settle --timeout=30 || true
  # Guard against a device name that points at the root disk or anything else
  # in use: formatting or mounting over it would be unrecoverable.
  local mount_points in_use
  mount_points=$(lsblk -nro MOUNTPOINT -- "$device")
  in_use=$(grep -vxF -e '' -e "$target" <<<"$mount_points" || true)
  [[ -z $in_use ]] || die "${device} (for ${volume}) is already in use at: ${in_use//$'\n'/ }"
  log "data volume ${volume} is ${device}"
  printf '%s' "$device"
}

# Prints the filesystem type, creating XFS first only when the device carries
# no signature at all. mkfs.xfs is run without -f, so it would refuse to
# overwrite anything blkid missed.
ensure_filesystem() {
  local -r device=$1 label=$2
  local probe="" status=0
  # -p probes the device itself instead of trusting blkid's cache.
  probe=$(blkid -p -o export -- "$device") || status=$?
  case $status in
    0) ;;
    2) probe="" ;; # nothing found
    *) die "blkid could not probe ${device} (exit status ${status}); refusing to guess" ;;
  esac

  local fs_type partition_table
  fs_type=$(sed -n 's/^TYPE=//p' <<<"$probe")
  partition_table=$(sed -n 's/^PTTYPE=//p' <<<"$probe")
  if [[ -z $probe ]]; then
    log "${device} is blank; creating XFS labelled ${label}"
    mkfs.xfs -L "$label" -- "$device" >&2
    udevadm settle --timeout=30 || true
    fs_type=xfs
  elif [[ -z $fs_type ]]; then
    die "${device} has no filesystem but is not blank (partition table: ${partition_table:-none}); refusing to format it"
  else
    log "${device} already has a filesystem (${fs_type}); keeping it"
  fi
  printf '%s' "$fs_type"
}

# The fstab entry is keyed by UUID because NVMe device names are not stable
# across boots. nofail keeps a missing volume from dropping the instance into
# emergency mode (where SSM cannot reach it); the service using the volume is
# kept off the bare mountpoint by require_mount_for_service instead.
ensure_fstab_entry() {
  local -r uuid=$1 fs_type=$2 target=$3
  local -r entry="UUID=${uuid} ${target} ${fs_type} defaults,noatime,nofail 0 0"
  if grep -qxF -- "$entry" /etc/fstab; then
    return 0
  fi
  # Any other line for this mount point is stale (e.g. a replaced volume).
  local -r staged="${work_dir}/fstab"
  awk -v target="$target" '$2 != target' /etc/fstab >"$staged"
  printf '%s\n' "$entry" >>"$staged"
  cp -p /etc/fstab /etc/fstab.scale-tiers.bak
  install_file "$staged" /etc/fstab 0644 root root
  systemctl daemon-reload
}

# mount_data_volume <volume-id> <device-name> <mount-point> <fs-label>
# Waits for the volume, gives it a filesystem only if it has none, mounts it
# through fstab and checks that the mount point really is that volume.
mount_data_volume() {
  local -r volume=$1 attachment=$2 target=$3 label=$4
  local device fs_type uuid
  ((${#label} <= 12)) || die "XFS labels have at most 12 characters: ${label}"
  device=$(wait_for_data_device "$volume" "$attachment" "$target")
  fs_type=$(ensure_filesystem "$device" "$label")
  uuid=$(blkid -p -o value -s UUID -- "$device")
  [[ -n $uuid ]] || die "${device} has a ${fs_type} filesystem without a UUID"

  install -d -m 0755 "$target"
  ensure_fstab_entry "$uuid" "$fs_type" "$target"
  if ! mountpoint -q "$target"; then
    mount "$target"
  fi
  # Everything after this writes under the mount point; make sure it really
  # is the data volume and not the root disk's empty directory.
  local source mounted_device
  source=$(findmnt -nro SOURCE --mountpoint "$target")
  mounted_device=$(readlink -f -- "$source")
  [[ $mounted_device == "$device" ]] ||
    die "${target} is mounted from ${source}, expected ${device}"
  log "${device} (UUID ${uuid}) mounted at ${target}"
}

# With nofail in fstab, nothing else stops a service (and a package's
# pre-start script that initialises whatever it finds empty) from starting on
# the root disk's empty mountpoint when the volume is late or missing.
require_mount_for_service() {
  local -r service=$1 target=$2
  local -r dropin="/etc/systemd/system/${service}.service.d/scale-tiers.conf"
  local -r staged="${work_dir}/${service}-dropin.conf"
  cat >"$staged" <<UNIT
# Written by the scale-tiers bootstrap: ${service} keeps its data on an EBS
# data volume, so it must not start until that is mounted.
[Unit]
RequiresMountsFor=${target}
UNIT
  install -d -m 0755 "${dropin%/*}"
  if files_differ "$staged" "$dropin"; then
    install_file "$staged" "$dropin" 0644 root root
    systemctl daemon-reload
  fi
}

# AL2023 ships SELinux permissive, where data outside a service's usual
# directory only logs denials; under enforcing mode the service could not
# touch the data volume unless it carries the same labels as that directory.
label_like_for_selinux() {
  local -r reference=$1 path=$2
  if ! command -v getenforce >/dev/null || [[ $(getenforce) != Enforcing ]]; then
    return 0
  fi
  log "SELinux is enforcing; labelling ${path} like ${reference}"
  install_missing_packages policycoreutils-python-utils
  semanage fcontext --add --equal "$reference" "$path" 2>/dev/null ||
    semanage fcontext --modify --equal "$reference" "$path"
  restorecon -R "$path"
}

# ---------------------------------------------------------------------------
# Timers: small scripts that keep pulling configuration and pushing metrics
# ---------------------------------------------------------------------------

# The rendered variables every script checks the same way: the region, and on
# servers with a data volume, the volume's id and device name.
require_region() {
  [[ $AWS_REGION_NAME =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] ||
    die "AWS_REGION_NAME is not a region name: ${AWS_REGION_NAME}"
}

require_data_volume() {
  [[ $DATA_VOLUME_ID =~ ^vol-[0-9a-f]{8,17}$ ]] ||
    die "DATA_VOLUME_ID is not a volume id: ${DATA_VOLUME_ID}"
  [[ $DATA_DEVICE_NAME =~ ^/dev/[a-z0-9]+$ ]] ||
    die "DATA_DEVICE_NAME must look like /dev/sdf: ${DATA_DEVICE_NAME}"
}

# write_tool_script <path> "<function> [<helper>...]" [<argument>...]
# Writes a stand-alone script that runs <function> (a function of this
# bootstrap) with the given arguments baked in. The timers run these scripts
# long after the bootstrap has exited, so each carries its own copy of the
# function and its helpers (from declare -f), and lint runs over the one
# source in this repository. Such functions may use only their arguments,
# their helpers, tool_* functions and commands. Arguments the script is
# started with follow the baked-in ones: the timers pass none, an operator or
# SSM Run Command may (scale-tiers-deploy <version>).
write_tool_script() {
  local -r dest=$1
  local -a functions
  read -ra functions <<<"$2"
  shift 2
  local -r staged="${work_dir}/${dest##*/}"
  {
    printf '#!/bin/bash\n'
    printf '# Written by the scale-tiers bootstrap (components/userdata in the\n'
    printf '# scale-tiers repository) and rewritten on every run: change it there.\n'
    printf 'set -euo pipefail\n'
    printf 'shopt -s inherit_errexit\n'
    printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\n'
    # systemd gives system services no HOME; the aws CLI wants one.
    printf 'export HOME=/root\n'
    declare -f tool_put_metrics tool_write_state "${functions[@]}"
    printf '%s' "${functions[0]}"
    printf ' %q' "$@"
    # shellcheck disable=SC2016 # a literal "$@" for the written script
    printf ' "$@"\n'
  } >"$staged"
  if files_differ "$staged" "$dest"; then
    install_file "$staged" "$dest" 0755 root root
  fi
}

# tool_put_metrics <region> <namespace> <dimensions> <metric-datum>...
# Each datum is shorthand such as MetricName=X,Value=1,Unit=Count; dimensions
# are shorthand too (Name=Stack,Value=x). Names and values come from
# validated rendered variables and numbers, so no quoting is needed.
tool_put_metrics() {
  local -r region=$1 namespace=$2 dimensions=$3
  shift 3
  local -a data=()
  local datum
  for datum in "$@"; do
    data+=("${datum},Dimensions=[${dimensions}]")
  done
  aws cloudwatch put-metric-data --region "$region" --namespace "$namespace" \
    --metric-data "${data[@]}"
}

# tool_write_state <name> <value>: atomically replaces /var/lib/scale-tiers/<name>.
tool_write_state() {
  install -d -m 0755 /var/lib/scale-tiers
  printf '%s\n' "$2" >"/var/lib/scale-tiers/$1.new"
  mv -f -- "/var/lib/scale-tiers/$1.new" "/var/lib/scale-tiers/$1"
}

# install_timer <unit-name> <interval> <command>
# A oneshot service running the command and a timer starting it every
# interval (the first time that long after boot). Units are rewritten only
# when they change, so re-runs do not reset the timer.
install_timer() {
  local -r unit=$1 interval=$2 command=$3
  local -r service_file="/etc/systemd/system/${unit}.service"
  local -r timer_file="/etc/systemd/system/${unit}.timer"
  local changed=false
  cat >"${work_dir}/${unit}.service" <<UNIT
# Written by the scale-tiers bootstrap.
[Unit]
Description=${unit} (scale-tiers)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=${command}
# A hung aws call must not block every later run of the timer.
TimeoutStartSec=240
UNIT
  # Persistent= only matters for calendar timers; it is set so that one
  # added here later catches up after downtime.
  cat >"${work_dir}/${unit}.timer" <<UNIT
# Written by the scale-tiers bootstrap.
[Unit]
Description=Runs ${unit} every ${interval}

[Timer]
OnBootSec=${interval}
OnUnitActiveSec=${interval}
Persistent=true

[Install]
WantedBy=timers.target
UNIT
  if files_differ "${work_dir}/${unit}.service" "$service_file"; then
    install_file "${work_dir}/${unit}.service" "$service_file" 0644 root root
    changed=true
  fi
  if files_differ "${work_dir}/${unit}.timer" "$timer_file"; then
    install_file "${work_dir}/${unit}.timer" "$timer_file" 0644 root root
    changed=true
  fi
  if [[ $changed == true ]]; then
    systemctl daemon-reload
    # A running timer keeps its old schedule until restarted.
    if systemctl is-active --quiet "${unit}.timer"; then
      systemctl restart "${unit}.timer"
    fi
  fi
  systemctl enable --now "${unit}.timer"
}

# Runs a timer's service once, now, and waits for it: systemd never runs two
# copies of a oneshot service, so this cannot race the timer. On failure the
# service's own output is shown, since it went to the journal.
run_timer_service() {
  local -r unit=$1
  if ! systemctl start "${unit}.service"; then
    journalctl -u "${unit}.service" -n 20 --no-pager -o cat >&2 || true
    return 1
  fi
}

# The agent's configuration is an SSM parameter that a later tier (or an
# operator) creates, changes or deletes; user data of a server such as the
# MySQL primary is never applied again, so servers pull it on a timer.
cloudwatch_agent_sync() {
  local -r region=$1 parameter=$2
  local -r ctl=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl
  local -r state=/var/lib/scale-tiers/cloudwatch-agent-parameter-version
  local errors version="" applied=""
  errors=$(mktemp)
  if ! version=$(aws ssm get-parameter --region "$region" --name "$parameter" \
    --query Parameter.Version --output text 2>"$errors"); then
    if grep -q ParameterNotFound "$errors"; then
      rm -f -- "$errors"
      if systemctl is-active --quiet amazon-cloudwatch-agent; then
        echo "${parameter} does not exist (monitoring is off); stopping the agent"
        "$ctl" -a stop
      fi
      rm -f -- "$state"
      return 0
    fi
    cat -- "$errors" >&2
    rm -f -- "$errors"
    echo "cannot read ${parameter}; leaving the agent as it is" >&2
    return 1
  fi
  rm -f -- "$errors"
  [[ $version =~ ^[0-9]+$ ]] || {
    echo "unexpected version of ${parameter}: ${version}" >&2
    return 1
  }
  if [[ -r $state ]]; then
    applied=$(<"$state")
  fi
  if [[ $version == "$applied" ]] && systemctl is-active --quiet amazon-cloudwatch-agent; then
    return 0
  fi
  echo "applying ${parameter} version ${version} (last applied: ${applied:-none})"
  "$ctl" -a fetch-config -m ec2 -c "ssm:${parameter}" -s
  tool_write_state cloudwatch-agent-parameter-version "$version"
}

# Installs the CloudWatch agent and keeps it in step with the SSM parameter
# CLOUDWATCH_AGENT_PARAMETER: started or reconfigured when the parameter
# appears or changes, stopped when it is deleted.
install_cloudwatch_agent_sync() {
  [[ $CLOUDWATCH_AGENT_PARAMETER =~ ^[A-Za-z0-9_.-]+$ ]] ||
    die "CLOUDWATCH_AGENT_PARAMETER is not a plain parameter name: ${CLOUDWATCH_AGENT_PARAMETER}"
  install_missing_packages amazon-cloudwatch-agent
  local -r script=/usr/local/sbin/scale-tiers-cloudwatch-sync
  write_tool_script "$script" cloudwatch_agent_sync "$AWS_REGION_NAME" "$CLOUDWATCH_AGENT_PARAMETER"
  install_timer scale-tiers-cloudwatch-sync 5min "$script"
  # Monitoring is not worth failing a server's bootstrap for; the timer tries
  # again in five minutes and the journal says why.
  retry 3 run_timer_service scale-tiers-cloudwatch-sync ||
    log "WARNING: the CloudWatch agent sync failed; see journalctl -u scale-tiers-cloudwatch-sync"
}

# Prints a secret's SecretString. Callers capture it into a variable: it must
# never reach the log or a command line.
fetch_secret() {
  retry 6 aws secretsmanager get-secret-value \
    --region "$AWS_REGION_NAME" \
    --secret-id "$1" \
    --query SecretString \
    --output text
}

# Prints a non-empty string field of a JSON document. jq's own error output is
# discarded because it could quote the document, which holds a password.
json_string() {
  printf '%s' "$1" | jq -er --arg key "$2" '.[$key] | strings | select(length > 0)' 2>/dev/null
}
