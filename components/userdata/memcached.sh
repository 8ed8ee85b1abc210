#!/bin/bash
#
# scale-tiers memcached node bootstrap (cloud-init user data, Amazon Linux 2023).
#
# Runs memcached from the distribution's package, listening on this instance's
# private address only (TCP 11211, UDP off: memcached over UDP is an
# amplification vector), and publishes its evictions and connections to
# CloudWatch every minute. The cache holds nothing that cannot be rebuilt, so
# there is no data volume: a replaced node simply starts empty.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME            region for the aws CLI, e.g. ap-northeast-2
#   MEMCACHED_MEMORY_MIB       item memory in MiB (memcached -m)
#   MEMCACHED_MAX_CONNECTIONS  connection limit (memcached -c)
#   CLOUDWATCH_AGENT_PARAMETER SSM parameter holding the CloudWatch agent's
#                              configuration; need not exist (monitoring off)
#   STACK_NAME                 the Stack dimension of published metrics
#
# Safe to run again, by hand or through SSM Run Command: memcached is
# restarted (emptying the cache) only when its settings change.
# Log: /var/log/scale-tiers-bootstrap.log (and the console).
set -euo pipefail
# Without these, a failure inside $(...) or a function would go unnoticed or
# unreported.
shopt -s inherit_errexit
set -o errtrace

: "${AWS_REGION_NAME:?rendered by scale-tiers}"
: "${MEMCACHED_MEMORY_MIB:?rendered by scale-tiers}"
: "${MEMCACHED_MAX_CONNECTIONS:?rendered by scale-tiers}"
: "${CLOUDWATCH_AGENT_PARAMETER:?rendered by scale-tiers}"
: "${STACK_NAME:?rendered by scale-tiers}"

# scale-tiers:include common.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly sysconfig=/etc/sysconfig/memcached
readonly memcached_dropin=/etc/systemd/system/memcached.service.d/scale-tiers.conf
readonly port=11211
readonly metrics_script=/usr/local/sbin/scale-tiers-memcached-metrics

validate_inputs() {
  require_region
  if [[ ! $MEMCACHED_MEMORY_MIB =~ ^[1-9][0-9]{0,6}$ ]] || ((MEMCACHED_MEMORY_MIB < 64)); then
    die "MEMCACHED_MEMORY_MIB must be an integer of at least 64: ${MEMCACHED_MEMORY_MIB}"
  fi
  [[ $MEMCACHED_MAX_CONNECTIONS =~ ^[1-9][0-9]{0,6}$ ]] ||
    die "MEMCACHED_MAX_CONNECTIONS must be a positive integer: ${MEMCACHED_MAX_CONNECTIONS}"
  # The stack name ends up in CloudWatch's shorthand syntax, where , = [ ]
  # and spaces would need quoting.
  [[ $STACK_NAME =~ ^[A-Za-z0-9_./:@+-]+$ ]] ||
    die "STACK_NAME must use only [A-Za-z0-9_./:@+-]: ${STACK_NAME}"
  # Leave room for the kernel, the SSM agent and the CloudWatch agent.
  local mem_kib
  mem_kib=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
  if ((MEMCACHED_MEMORY_MIB * 1024 > mem_kib * 90 / 100)); then
    die "MEMCACHED_MEMORY_MIB (${MEMCACHED_MEMORY_MIB}) is more than 90% of this instance's $((mem_kib / 1024)) MiB"
  fi
}

private_address() {
  local address
  address=$(retry 5 imds_get local-ipv4)
  [[ $address =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "instance metadata gave '${address}' as the private IPv4 address"
  printf '%s' "$address"
}

# Sets memcached_config_changed so that a running memcached is restarted.
memcached_config_changed=false
write_sysconfig() {
  local -r address=$1
  local -r staged="${work_dir}/memcached"
  # Read by the package's unit as an EnvironmentFile.
  cat >"$staged" <<CONF
# Written by the scale-tiers memcached bootstrap (components/userdata/memcached.sh
# in the scale-tiers repository); rewritten on every run.
PORT="${port}"
USER="memcached"
MAXCONN="${MEMCACHED_MAX_CONNECTIONS}"
CACHESIZE="${MEMCACHED_MEMORY_MIB}"
OPTIONS="-l ${address} -U 0"
CONF
  if files_differ "$staged" "$sysconfig"; then
    install_file "$staged" "$sysconfig" 0644 root root
    memcached_config_changed=true
  fi
}

# memcached binds the private address, which does not exist yet when the
# package's unit (After=network.target) starts at boot.
write_dropin() {
  local -r staged="${work_dir}/memcached-dropin.conf"
  cat >"$staged" <<UNIT
# Written by the scale-tiers memcached bootstrap: memcached listens on this
# instance's private address only, so it must start after that is up.
[Unit]
Wants=network-online.target
After=network-online.target

[Service]
Restart=on-failure
RestartSec=5
UNIT
  install -d -m 0755 "${memcached_dropin%/*}"
  if files_differ "$staged" "$memcached_dropin"; then
    install_file "$staged" "$memcached_dropin" 0644 root root
    systemctl daemon-reload
  fi
}

start_memcached() {
  systemctl enable memcached
  if [[ $memcached_config_changed == true ]] && systemctl is-active --quiet memcached; then
    log "restarting memcached to apply the new ${sysconfig} (the cache starts empty)"
    systemctl restart memcached
  else
    systemctl start memcached
  fi
}

# Prints memcached's general statistics as "name value" lines. The request
# and its reply go through bash's /dev/tcp, so no client package is needed.
memcached_stats() {
  local -r address=$1
  local line
  exec 3<>"/dev/tcp/${address}/11211" || return 1
  printf 'stats\r\n' >&3
  while IFS= read -r -t 10 line <&3; do
    # Replies end their lines with CR LF.
    line=${line//[[:cntrl:]]/}
    if [[ $line == END ]]; then
      exec 3<&-
      return 0
    fi
    if [[ $line == STAT\ * ]]; then
      printf '%s\n' "${line#STAT }"
    fi
  done
  # Closed or silent for 10 seconds before the end of the reply.
  exec 3<&-
  return 1
}

self_check() {
  local -r address=$1
  local stats
  stats=$(retry 5 memcached_stats "$address")
  grep -q '^pid ' <<<"$stats" || die "memcached at ${address}:${port} did not answer stats"
  log "self-check passed: memcached answers on ${address}:${port} ($(grep '^version ' <<<"$stats"))"
}

# Runs from a timer. Evictions is the increase since the previous sample (the
# counter restarts with memcached, recognised by its pid); the first sample
# after this script starts keeping state publishes no evictions.
memcached_metrics() {
  local -r region=$1 stack=$2 address=$3
  local -r state=/var/lib/scale-tiers/memcached-evictions
  local stats pid evictions connections last_pid="" last_evictions=""
  stats=$(memcached_stats "$address")
  pid=$(awk '$1 == "pid" { print $2 }' <<<"$stats")
  evictions=$(awk '$1 == "evictions" { print $2 }' <<<"$stats")
  connections=$(awk '$1 == "curr_connections" { print $2 }' <<<"$stats")
  if [[ ! $pid =~ ^[0-9]+$ || ! $evictions =~ ^[0-9]+$ || ! $connections =~ ^[0-9]+$ ]]; then
    echo "memcached at ${address} gave no usable stats" >&2
    return 1
  fi
  local -a data=("MetricName=CurrConnections,Value=${connections},Unit=Count")
  if [[ -r $state ]]; then
    read -r last_pid last_evictions <"$state" || true
  fi
  if [[ $last_pid == "$pid" && $last_evictions =~ ^[0-9]+$ ]] && ((evictions >= last_evictions)); then
    data+=("MetricName=Evictions,Value=$((evictions - last_evictions)),Unit=Count")
  elif [[ -n $last_pid ]]; then
    # memcached restarted since the last sample: all its evictions are new.
    data+=("MetricName=Evictions,Value=${evictions},Unit=Count")
  fi
  tool_put_metrics "$region" ScaleTiers/Memcached "{Name=Stack,Value=${stack}}" "${data[@]}"
  tool_write_state memcached-evictions "${pid} ${evictions}"
}

install_metrics() {
  local -r address=$1
  write_tool_script "$metrics_script" "memcached_metrics memcached_stats" \
    "$AWS_REGION_NAME" "$STACK_NAME" "$address"
  install_timer scale-tiers-memcached-metrics 1min "$metrics_script"
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, ${MEMCACHED_MEMORY_MIB} MiB, ${MEMCACHED_MAX_CONNECTIONS} connections)"
  validate_inputs
  work_dir=$(mktemp -d)

  install_missing_packages memcached
  local address
  address=$(private_address)
  write_sysconfig "$address"
  write_dropin
  start_memcached
  self_check "$address"
  install_metrics "$address"
  install_cloudwatch_agent_sync
  log "done"
}

main "$@"
