#!/bin/bash
#
# scale-tiers RabbitMQ node bootstrap (cloud-init user data, Amazon Linux 2023).
#
# Runs one node of a RabbitMQ 4.x cluster whose data lives on a separate EBS
# volume under a stable node name (a private DNS name), so an instance can be
# replaced and the new one carries on as the same node with the same data:
# wait for the volume and mount it, install Erlang and RabbitMQ from Team
# RabbitMQ's repositories, write the Erlang cookie and the configuration
# (peer discovery from a fixed node list, quorum queues by default, optional
# TLS), start the node, set the admin user from Secrets Manager and publish
# queue depth and cluster membership to CloudWatch every minute.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME            region for the aws CLI, e.g. ap-northeast-2
#   DATA_VOLUME_ID             EBS data volume, e.g. vol-0123456789abcdef0
#   DATA_DEVICE_NAME           device name used in the attachment, e.g. /dev/sdf
#   NODE_NAME                  this node, e.g. rabbit@rabbitmq-0.scale-tiers.internal;
#                              its host part must resolve to this instance
#   CLUSTER_NODES              all nodes, this one included, comma-separated
#   COOKIE_SECRET_ARN          secret {"cookie":...}, the same for every node
#   ADMIN_SECRET_ARN           secret {"username","password"}
#   TLS_ENABLED                true (AMQPS on 5671 only) or false (AMQP on 5672)
#   TLS_SECRET_ARN             none, or secret {"certificate","privateKey",
#                              "caCertificate"} holding PEM text
#   CLOUDWATCH_AGENT_PARAMETER SSM parameter holding the CloudWatch agent's
#                              configuration; need not exist (monitoring off)
#   STACK_NAME                 the Stack dimension of published metrics
#
# Safe to run again, by hand or through SSM Run Command: a filesystem is never
# recreated, the node is restarted only when a file it reads at boot changed,
# and the admin user is re-synced to its secret. Secrets never appear in the
# log, in the environment or on a command line.
# Log: /var/log/scale-tiers-bootstrap.log (and the console).
set -euo pipefail
# Without these, a failure inside $(...) or a function would go unnoticed or
# unreported.
shopt -s inherit_errexit
set -o errtrace

: "${AWS_REGION_NAME:?rendered by scale-tiers}"
: "${DATA_VOLUME_ID:?rendered by scale-tiers}"
: "${DATA_DEVICE_NAME:?rendered by scale-tiers}"
: "${NODE_NAME:?rendered by scale-tiers}"
: "${CLUSTER_NODES:?rendered by scale-tiers}"
: "${COOKIE_SECRET_ARN:?rendered by scale-tiers}"
: "${ADMIN_SECRET_ARN:?rendered by scale-tiers}"
: "${TLS_ENABLED:?rendered by scale-tiers}"
: "${TLS_SECRET_ARN:?rendered by scale-tiers}"
: "${CLOUDWATCH_AGENT_PARAMETER:?rendered by scale-tiers}"
: "${STACK_NAME:?rendered by scale-tiers}"

# scale-tiers:include common.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly mount_point=/data/rabbitmq
# XFS allows 12 characters.
readonly fs_label=rabbit-data
readonly mnesia_base=/data/rabbitmq/mnesia
readonly config_dir=/etc/rabbitmq
readonly tls_dir=/etc/rabbitmq/tls
readonly cookie_file=/var/lib/rabbitmq/.erlang.cookie
readonly repo_file=/etc/yum.repos.d/rabbitmq.repo
readonly metrics_script=/usr/local/sbin/scale-tiers-rabbitmq-metrics
readonly dns_timeout_seconds=600
# A node that finds its peers gone waits for them before it boots (and its
# first boot waits for peer discovery), so this is generous.
readonly start_timeout_seconds=1800
readonly secret_arn_pattern='^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$'
readonly node_name_pattern='^[A-Za-z0-9_-]+@[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'

cluster_nodes=()

validate_inputs() {
  require_region
  require_data_volume
  [[ $NODE_NAME =~ $node_name_pattern ]] ||
    die "NODE_NAME must look like rabbit@host.domain: ${NODE_NAME}"
  local node found=false
  IFS=, read -ra cluster_nodes <<<"$CLUSTER_NODES"
  ((${#cluster_nodes[@]} > 0)) || die "CLUSTER_NODES is empty"
  for node in "${cluster_nodes[@]}"; do
    [[ $node =~ $node_name_pattern ]] || die "CLUSTER_NODES has a malformed node name: '${node}'"
    if [[ $node == "$NODE_NAME" ]]; then
      found=true
    fi
  done
  [[ $found == true ]] || die "CLUSTER_NODES does not include this node, ${NODE_NAME}"
  case $TLS_ENABLED in
    true)
      [[ $TLS_SECRET_ARN =~ $secret_arn_pattern ]] ||
        die "TLS_ENABLED is true but TLS_SECRET_ARN is not a secret ARN: ${TLS_SECRET_ARN}"
      ;;
    false)
      [[ $TLS_SECRET_ARN == none ]] ||
        die "TLS_ENABLED is false, so TLS_SECRET_ARN must be none, not ${TLS_SECRET_ARN}"
      ;;
    *) die "TLS_ENABLED must be true or false, not ${TLS_ENABLED}" ;;
  esac
  local arn
  for arn in "$COOKIE_SECRET_ARN" "$ADMIN_SECRET_ARN"; do
    [[ $arn =~ $secret_arn_pattern ]] || die "not a Secrets Manager secret ARN: ${arn}"
  done
  # The stack name ends up in CloudWatch's shorthand syntax, where , = [ ]
  # and spaces would need quoting.
  [[ $STACK_NAME =~ ^[A-Za-z0-9_./:@+-]+$ ]] ||
    die "STACK_NAME must use only [A-Za-z0-9_./:@+-]: ${STACK_NAME}"
}

# Erlang distribution and the CLI tools reach this node by the host part of
# its name, so that must point here before the node first starts (the record
# may be created after the instance).
wait_for_own_dns_name() {
  local -r host=${NODE_NAME#*@}
  local -r deadline=$((SECONDS + dns_timeout_seconds))
  local address resolved next_report=$SECONDS
  address=$(retry 5 imds_get local-ipv4)
  until resolved=$(getent ahostsv4 "$host" | awk '{ print $1 }' | sort -u) &&
    grep -qxF -- "$address" <<<"$resolved"; do
    ((SECONDS < deadline)) ||
      die "${host} resolves to '${resolved//$'\n'/ }', not to this instance (${address}), after ${dns_timeout_seconds}s"
    if ((SECONDS >= next_report)); then
      log "waiting for ${host} to resolve to ${address} (now: '${resolved//$'\n'/ }')"
      next_report=$((SECONDS + 60))
    fi
    sleep 10
  done
  log "${host} resolves to this instance (${address})"
}

# Team RabbitMQ's repositories, as documented at
# https://www.rabbitmq.com/docs/install-rpm (Cloudsmith mirrors):
#   Erlang:   https://yum1.rabbitmq.com/erlang/el/9/$basearch (and yum2)
#   RabbitMQ: https://yum1.rabbitmq.com/rabbitmq/el/9/noarch (and yum2)
# signed with the keys published at
# https://github.com/rabbitmq/signing-keys/releases/download/3.0/. AL2023 has no
# Erlang recent enough for RabbitMQ 4, and its EL9 base is what these target.
render_repo_file() {
  local -r keys=https://github.com/rabbitmq/signing-keys/releases/download/3.0
  cat <<REPO
# Written by the scale-tiers RabbitMQ bootstrap.
[modern-erlang]
name=modern-erlang-el9
baseurl=https://yum1.rabbitmq.com/erlang/el/9/\$basearch
        https://yum2.rabbitmq.com/erlang/el/9/\$basearch
repo_gpgcheck=1
gpgcheck=1
enabled=1
gpgkey=${keys}/cloudsmith.rabbitmq-erlang.E495BB49CC4BBE5B.key
sslverify=1
sslcacert=/etc/pki/tls/certs/ca-bundle.crt
metadata_expire=300
type=rpm-md

[rabbitmq-el9]
name=rabbitmq-el9
baseurl=https://yum2.rabbitmq.com/rabbitmq/el/9/noarch
        https://yum1.rabbitmq.com/rabbitmq/el/9/noarch
repo_gpgcheck=1
gpgcheck=1
enabled=1
gpgkey=${keys}/cloudsmith.rabbitmq-server.9F4587F226208342.key
       ${keys}/rabbitmq-release-signing-key.asc
sslverify=1
sslcacert=/etc/pki/tls/certs/ca-bundle.crt
metadata_expire=300
type=rpm-md
REPO
}

install_rabbitmq() {
  install_missing_packages jq
  if rpm -q --quiet rabbitmq-server; then
    log "rabbitmq-server $(rpm -q --qf '%{VERSION}' rabbitmq-server) installed"
    return 0
  fi
  local -r keys=https://github.com/rabbitmq/signing-keys/releases/download/3.0
  local key
  for key in rabbitmq-release-signing-key.asc \
    cloudsmith.rabbitmq-erlang.E495BB49CC4BBE5B.key \
    cloudsmith.rabbitmq-server.9F4587F226208342.key; do
    retry 5 rpm --import "${keys}/${key}"
  done
  render_repo_file >"${work_dir}/rabbitmq.repo"
  if files_differ "${work_dir}/rabbitmq.repo" "$repo_file"; then
    install_file "${work_dir}/rabbitmq.repo" "$repo_file" 0644 root root
  fi
  # 4.x only: a new major version is an upgrade with its own procedure.
  log "installing Erlang and RabbitMQ 4.x"
  retry 5 dnf install -y erlang 'rabbitmq-server-4.*'
  log "rabbitmq-server $(rpm -q --qf '%{VERSION}' rabbitmq-server) installed"
}

# Sets node_config_changed when a file the node reads only at boot changed.
node_config_changed=false
install_if_changed() {
  local -r staged=$1 dest=$2 mode=$3 owner=$4 group=$5
  if files_differ "$staged" "$dest"; then
    install_file "$staged" "$dest" "$mode" "$owner" "$group"
    node_config_changed=true
  else
    chmod "$mode" "$dest"
    chown "${owner}:${group}" "$dest"
  fi
}

prepare_data_dir() {
  install -d -m 0750 -o rabbitmq -g rabbitmq "$mnesia_base"
  local -r staged="${work_dir}/rabbitmq-env.conf"
  cat >"$staged" <<ENV
# Written by the scale-tiers RabbitMQ bootstrap; rewritten on every run.
# The node's name is stable (a private DNS name), and its data is on the EBS
# data volume, so a replacement instance carries on as the same node.
NODENAME=${NODE_NAME}
USE_LONGNAME=true
MNESIA_BASE=${mnesia_base}
ENV
  install_if_changed "$staged" "${config_dir}/rabbitmq-env.conf" 0644 root rabbitmq
}

# Every node of a cluster must have the same cookie before it first starts,
# or it would generate its own and could never join.
write_cookie() {
  local -r secret=$1
  local cookie
  cookie=$(json_string "$secret" cookie) || die "cookie secret has no cookie"
  [[ $cookie =~ ^[!-~]{16,255}$ ]] ||
    die "the Erlang cookie must be 16-255 printable characters without spaces"
  local -r staged="${work_dir}/cookie"
  printf '%s' "$cookie" >"$staged"
  install_if_changed "$staged" "$cookie_file" 0400 rabbitmq rabbitmq
}

write_tls_files() {
  local -r secret=$1
  local field file pem
  install -d -m 0750 -o root -g rabbitmq "$tls_dir"
  for field in certificate caCertificate privateKey; do
    case $field in
      certificate) file=cert.pem ;;
      caCertificate) file=ca.pem ;;
      privateKey) file=key.pem ;;
    esac
    pem=$(json_string "$secret" "$field") || die "TLS secret has no ${field}"
    [[ $pem == -----BEGIN* ]] || die "TLS secret's ${field} is not PEM"
    printf '%s\n' "$pem" >"${work_dir}/${file}"
  done
  install_if_changed "${work_dir}/cert.pem" "${tls_dir}/cert.pem" 0644 root rabbitmq
  install_if_changed "${work_dir}/ca.pem" "${tls_dir}/ca.pem" 0644 root rabbitmq
  install_if_changed "${work_dir}/key.pem" "${tls_dir}/key.pem" 0400 rabbitmq rabbitmq
}

render_rabbitmq_conf() {
  cat <<CONF
# Written by the scale-tiers RabbitMQ bootstrap (components/userdata/rabbitmq.sh
# in the scale-tiers repository) and rewritten, with a restart, whenever a
# re-run computes something different. Change the script, not this file.

# Peer discovery runs on a node's first boot only (an empty data directory):
# it joins whichever listed node already runs a cluster.
cluster_formation.peer_discovery_backend = classic_config
CONF
  local i
  for i in "${!cluster_nodes[@]}"; do
    printf 'cluster_formation.classic_config.nodes.%d = %s\n' $((i + 1)) "${cluster_nodes[i]}"
  done
  cat <<CONF
cluster_formation.target_cluster_size_hint = ${#cluster_nodes[@]}

# Replicated queues unless a client asks otherwise; a node cut off from the
# majority pauses rather than diverging.
default_queue_type = quorum
cluster_partition_handling = pause_minority

loopback_users.guest = true

# Publishers are blocked before the kernel's OOM killer or a full disk stops
# the node. The free-disk floor of one RAM's worth is the documented minimum
# for a node that may page messages out to disk.
vm_memory_high_watermark.relative = 0.6
disk_free_limit.relative = 1.0

management.tcp.port = 15672
CONF
  if [[ $TLS_ENABLED == true ]]; then
    cat <<CONF

# AMQP over TLS only. Clients are not asked for certificates; they log in with
# a user name and password inside the encrypted session.
listeners.tcp = none
listeners.ssl.default = 5671
ssl_options.cacertfile = ${tls_dir}/ca.pem
ssl_options.certfile = ${tls_dir}/cert.pem
ssl_options.keyfile = ${tls_dir}/key.pem
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
ssl_options.versions.1 = tlsv1.3
ssl_options.versions.2 = tlsv1.2
CONF
  else
    printf '\nlisteners.tcp.default = 5672\n'
  fi
}

write_config() {
  render_rabbitmq_conf >"${work_dir}/rabbitmq.conf"
  install_if_changed "${work_dir}/rabbitmq.conf" "${config_dir}/rabbitmq.conf" 0640 root rabbitmq
  printf '[rabbitmq_management].\n' >"${work_dir}/enabled_plugins"
  # rabbitmq-plugins, run by an operator, rewrites this as the rabbitmq user.
  install_if_changed "${work_dir}/enabled_plugins" "${config_dir}/enabled_plugins" 0644 rabbitmq rabbitmq
}

# The unit may take a long time to report started (a node waits for its
# peers), and systemd restarts it on failure, so this does not block on
# systemctl and instead polls the node itself.
start_rabbitmq() {
  systemctl enable rabbitmq-server
  # A failure left from an earlier run would end the wait below at once.
  systemctl reset-failed rabbitmq-server 2>/dev/null || true
  # A node that crashes is restarted by systemd (Restart=on-failure) and only
  # shows as failed once its start limit is hit, which a slow crash never
  # reaches: a restart after this start is the early failure to stop on.
  local -r restarts_before=$(systemctl show -p NRestarts --value rabbitmq-server)
  local restarts
  if [[ $node_config_changed == true ]] && systemctl is-active --quiet rabbitmq-server; then
    log "restarting rabbitmq-server to apply the new configuration"
    systemctl restart --no-block rabbitmq-server
    # Let the old node go down before polling, or it would answer.
    sleep 15
  else
    systemctl start --no-block rabbitmq-server
  fi
  local -r deadline=$((SECONDS + start_timeout_seconds))
  local next_report=$((SECONDS + 60))
  until rabbitmq-diagnostics -q check_running >/dev/null 2>&1; do
    restarts=$(systemctl show -p NRestarts --value rabbitmq-server)
    if ((SECONDS >= deadline || restarts > restarts_before)) || systemctl is-failed --quiet rabbitmq-server; then
      journalctl -u rabbitmq-server -n 30 --no-pager -o cat >&2 || true
      die "${NODE_NAME} is not running (systemd restarted it $((restarts - restarts_before)) times); see the lines above and /var/log/rabbitmq"
    fi
    if ((SECONDS >= next_report)); then
      log "waiting for ${NODE_NAME} to start (it waits for its peers after a restart)"
      next_report=$((SECONDS + 60))
    fi
    sleep 10
  done
  log "${NODE_NAME} is running"
}

# Users live in the cluster's shared metadata, so every node converges on the
# same result; another node doing the same at the same moment can make a step
# fail, hence the retry around this whole function. The password goes to
# rabbitmqctl on stdin, never as an argument.
ensure_admin_user() {
  local -r user=$1 password_file=$2
  local users
  users=$(rabbitmqctl -q list_users --formatter json)
  if ! jq -e --arg user "$user" 'any(.[]; .user == $user)' <<<"$users" >/dev/null; then
    log "adding user ${user}"
    rabbitmqctl -q add_user "$user" <"$password_file"
  elif ! rabbitmqctl -q authenticate_user "$user" <"$password_file" >/dev/null 2>&1; then
    log "re-syncing the password of ${user} with its secret"
    rabbitmqctl -q change_password "$user" <"$password_file"
  fi
  rabbitmqctl -q set_user_tags "$user" administrator
  rabbitmqctl -q set_permissions -p / "$user" '.*' '.*' '.*'
  if jq -e 'any(.[]; .user == "guest")' <<<"$users" >/dev/null; then
    log "deleting the default guest user"
    rabbitmqctl -q delete_user guest
  fi
}

configure_admin_user() {
  local -r secret=$1
  local user password
  user=$(json_string "$secret" username) || die "admin secret has no username"
  password=$(json_string "$secret" password) || die "admin secret has no password"
  [[ $user =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "admin username '${user}' must be 1-64 characters from [A-Za-z0-9_.-]"
  [[ $user != guest ]] || die "the admin secret must not name the guest user"
  case $password in
    *$'\n'* | *$'\r'*) die "the admin password contains a line break" ;;
  esac
  local -r password_file="${work_dir}/admin-password"
  (
    umask 077
    printf '%s\n' "$password" >"$password_file"
  )
  retry 3 ensure_admin_user "$user" "$password_file"
  rm -f -- "$password_file"
  log "administrator ${user} is in place"
}

# Runs from a timer. MessagesReady is the total over all queues of the cluster
# and RunningNodes this node's view of the cluster, so with several nodes
# publishing under the same dimensions the meaningful statistics are Maximum
# and Minimum. A node that cannot be queried reports no running nodes.
rabbitmq_metrics() {
  local -r region=$1 stack=$2
  local running_nodes=0 ready status=0
  local -a data=()
  if running_nodes=$(rabbitmq-diagnostics -q cluster_status --formatter json |
    jq -e '.running_nodes | length'); then
    ready=$(rabbitmqctl -q list_queues --no-table-headers messages_ready |
      awk '{ total += $1 } END { print total + 0 }') || status=$?
    if ((status == 0)); then
      data+=("MetricName=MessagesReady,Value=${ready},Unit=Count")
    fi
  else
    running_nodes=0
    status=1
  fi
  data+=("MetricName=RunningNodes,Value=${running_nodes},Unit=Count")
  tool_put_metrics "$region" ScaleTiers/RabbitMQ "{Name=Stack,Value=${stack}}" "${data[@]}"
  return "$status"
}

main() {
  start_logging
  take_lock
  log "starting (${NODE_NAME}, region ${AWS_REGION_NAME}, TLS ${TLS_ENABLED}, volume ${DATA_VOLUME_ID})"
  validate_inputs
  log "cluster of ${#cluster_nodes[@]}: ${cluster_nodes[*]}"
  work_dir=$(mktemp -d)

  mount_data_volume "$DATA_VOLUME_ID" "$DATA_DEVICE_NAME" "$mount_point" "$fs_label"
  install_rabbitmq
  require_mount_for_service rabbitmq-server "$mount_point"
  label_like_for_selinux /var/lib/rabbitmq "$mount_point"

  # All secrets are read before anything starts, so that a missing one stops
  # the run before a node could boot with a cookie of its own.
  local cookie_secret admin_secret tls_secret=""
  cookie_secret=$(fetch_secret "$COOKIE_SECRET_ARN")
  admin_secret=$(fetch_secret "$ADMIN_SECRET_ARN")
  if [[ $TLS_ENABLED == true ]]; then
    tls_secret=$(fetch_secret "$TLS_SECRET_ARN")
  fi

  prepare_data_dir
  write_cookie "$cookie_secret"
  if [[ $TLS_ENABLED == true ]]; then
    write_tls_files "$tls_secret"
  fi
  write_config
  wait_for_own_dns_name
  start_rabbitmq
  configure_admin_user "$admin_secret"
  log "cluster status:"
  rabbitmq-diagnostics cluster_status >&2

  write_tool_script "$metrics_script" rabbitmq_metrics "$AWS_REGION_NAME" "$STACK_NAME"
  install_timer scale-tiers-rabbitmq-metrics 1min "$metrics_script"
  install_cloudwatch_agent_sync
  log "done"
}

main "$@"
