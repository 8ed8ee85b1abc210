#!/bin/bash
#
# scale-tiers Logstash bootstrap (cloud-init user data, Amazon Linux 2023,
# an Auto Scaling group instance behind the internal Network Load Balancer).
#
# Installs Logstash OSS from Elastic's Apache-2.0 package repository and the
# logstash-output-opensearch plugin, and runs one pipeline: Beats on 5044 in,
# the OpenSearch domain out, into daily `logs-YYYY.MM.dd` indices. Events wait
# in Logstash's persistent queue on the instance's second volume, mounted at
# /var/lib/logstash, while the domain is slow or away.
#
# Credentials: Logstash indexes as the internal user `logstash`, whose role may
# create and write `logs-*` and nothing else. This script creates (or
# re-asserts) that role, the user, with the password from its own secret, the
# role mapping and the `logs` index template through the security REST API,
# as the master user whose secret it reads at boot. Both passwords stay in
# memory, in a root-only environment file for the service, and in request
# files under the work directory (removed on exit): never in user data,
# config files or command lines. The trade-off is in docs/logging.md.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME      region for the aws CLI, e.g. ap-northeast-2
#   DOMAIN_NAME          the OpenSearch domain; its VPC endpoint is looked up
#   MASTER_SECRET_ARN    secret with the master user's username and password
#   LOGSTASH_SECRET_ARN  secret with the `logstash` user's username and password
#   QUEUE_DEVICE_NAME    where the launch template attaches the queue volume,
#                        e.g. /dev/sdf
#   QUEUE_MAX_GB         how much of that volume the queue may fill, GB
#   INDEX_SHARDS         primary shards of each daily index
#   INDEX_REPLICAS       replicas of each primary shard
#
# Safe to run again, by hand or through SSM Run Command: every step converges
# on the same state. Log: /var/log/scale-tiers-bootstrap.log (and the console).
set -euo pipefail
shopt -s inherit_errexit
set -o errtrace

: "${AWS_REGION_NAME:?rendered by scale-tiers}"
: "${DOMAIN_NAME:?rendered by scale-tiers}"
: "${MASTER_SECRET_ARN:?rendered by scale-tiers}"
: "${LOGSTASH_SECRET_ARN:?rendered by scale-tiers}"
: "${QUEUE_DEVICE_NAME:?rendered by scale-tiers}"
: "${QUEUE_MAX_GB:?rendered by scale-tiers}"
: "${INDEX_SHARDS:?rendered by scale-tiers}"
: "${INDEX_REPLICAS:?rendered by scale-tiers}"

# scale-tiers:include common.sh
# scale-tiers:include tools.sh

readonly queue_dir=/var/lib/logstash
readonly settings_dir=/etc/logstash
readonly pipeline_file=/etc/logstash/conf.d/beats-to-opensearch.conf
readonly service_env=/etc/scale-tiers/logstash.env
readonly env_dropin=/etc/systemd/system/logstash.service.d/scale-tiers-env.conf
readonly plugin_tool=/usr/share/logstash/bin/logstash-plugin
readonly elastic_repo=elastic-oss-8.x
readonly beats_port=5044
# A new domain takes 20-40 minutes; the group is created after it, but a
# blue/green configuration change can keep it processing for a while.
readonly domain_timeout_seconds=3600

validate_inputs() {
  require_region
  [[ $DOMAIN_NAME =~ ^[a-z][a-z0-9-]{2,27}$ ]] || die "DOMAIN_NAME is not a domain name: ${DOMAIN_NAME}"
  require_secret_arn "$MASTER_SECRET_ARN"
  require_secret_arn "$LOGSTASH_SECRET_ARN"
  [[ $QUEUE_DEVICE_NAME =~ ^/dev/[a-z0-9]+$ ]] ||
    die "QUEUE_DEVICE_NAME must look like /dev/sdf: ${QUEUE_DEVICE_NAME}"
  local name
  for name in QUEUE_MAX_GB INDEX_SHARDS INDEX_REPLICAS; do
    [[ ${!name} =~ ^[1-9][0-9]{0,5}$ ]] || die "${name} is not a positive integer: ${!name}"
  done
}

# The launch template's volume has no id we could render; on Nitro its NVMe
# serial is the volume id, and AL2023's udev rules link the device name the
# template gave it.
queue_volume_id() {
  local -r deadline=$((SECONDS + 300))
  local serial
  until [[ -b $QUEUE_DEVICE_NAME ]]; do
    ((SECONDS < deadline)) || die "${QUEUE_DEVICE_NAME} did not appear within 300s"
    sleep 5
  done
  serial=$(lsblk -ndo SERIAL -- "$(readlink -f -- "$QUEUE_DEVICE_NAME")")
  [[ $serial =~ ^vol-?([0-9a-f]{8,17})$ ]] || die "${QUEUE_DEVICE_NAME} has serial '${serial}', not an EBS volume id"
  printf 'vol-%s' "${BASH_REMATCH[1]}"
}

install_logstash() {
  local -r staged="${work_dir}/elastic.repo"
  # Disabled unless asked for, so that no other dnf run depends on Elastic.
  cat >"$staged" <<REPO
[${elastic_repo}]
name=Elastic 8.x Apache-2.0 (OSS) packages
baseurl=https://artifacts.elastic.co/packages/oss-8.x/yum
gpgcheck=1
gpgkey=https://artifacts.elastic.co/GPG-KEY-elasticsearch
enabled=0
type=rpm-md
REPO
  if files_differ "$staged" "/etc/yum.repos.d/${elastic_repo}.repo"; then
    install_file "$staged" "/etc/yum.repos.d/${elastic_repo}.repo" 0644 root root
  fi
  if ! rpm -q --quiet logstash-oss; then
    log "installing logstash-oss"
    retry 5 dnf install -y --enablerepo="$elastic_repo" logstash-oss
  fi
  if ! "$plugin_tool" list logstash-output-opensearch 2>/dev/null | grep -qx logstash-output-opensearch; then
    log "installing logstash-output-opensearch"
    retry 5 "$plugin_tool" install logstash-output-opensearch
  fi
}

# Prints the domain's VPC endpoint, waiting for the domain to be created.
wait_for_domain_endpoint() {
  local -r deadline=$((SECONDS + domain_timeout_seconds))
  local endpoint=""
  # The VPC endpoint appears once the domain has been created.
  until endpoint=$(aws opensearch describe-domain --region "$AWS_REGION_NAME" --domain-name "$DOMAIN_NAME" \
    --query 'DomainStatus.Endpoints.vpc' --output text 2>/dev/null) &&
    [[ $endpoint =~ ^vpc-[a-z0-9.-]+\.amazonaws\.com$ ]]; do
    ((SECONDS < deadline)) || die "domain ${DOMAIN_NAME} has no VPC endpoint after ${domain_timeout_seconds}s"
    log "waiting for domain ${DOMAIN_NAME}"
    sleep 30
  done
  printf '%s' "$endpoint"
}

# The master user's credentials as a curl config file (work directory, root
# only): curl reads them from there, so they are never an argument of any
# command, and retry can log its command lines.
write_master_auth() {
  local -r user=$1 password=$2
  (
    umask 077
    printf 'user = "%s:%s"\n' "$user" "$password" >"${work_dir}/master.curl"
  )
}

# opensearch_request <endpoint> <method> <path> [<body-file>]: as the master
# user; prints the HTTP status, the response is in ${work_dir}/response.
opensearch_request() {
  local -r endpoint=$1 method=$2 path=$3 body=${4:-/dev/null}
  curl -sS --proto '=https' --max-time 30 -K "${work_dir}/master.curl" -o "${work_dir}/response" \
    -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' --data-binary "@${body}" \
    "https://${endpoint}${path}"
}

# opensearch_put <endpoint> <path> <body-file>: fails unless 200 or 201.
opensearch_put() {
  local status
  status=$(opensearch_request "$1" PUT "$2" "$3") || return 1
  if [[ $status != 200 && $status != 201 ]]; then
    log "PUT $2 answered ${status}: $(head -c 300 "${work_dir}/response")"
    return 1
  fi
}

# The role, user, mapping and index template Logstash needs, asserted as the
# master user. PUT replaces each whole, so a re-run also resets the user's
# password to the secret's current value.
provision_opensearch() {
  local -r endpoint=$1 logstash_user=$2 logstash_password=$3
  local -r deadline=$((SECONDS + 900))
  until [[ $(opensearch_request "$endpoint" GET / || true) == 200 ]]; do
    ((SECONDS < deadline)) || die "https://${endpoint}/ did not accept the master user within 900s"
    log "waiting for https://${endpoint}/ to accept the master user"
    sleep 15
  done

  jq -n '{
    cluster_permissions: ["cluster_monitor", "cluster_composite_ops"],
    index_permissions: [{index_patterns: ["logs-*"], allowed_actions: ["create_index", "write"]}]
  }' >"${work_dir}/role.json"
  # The password reaches jq through stdin, not as an argument.
  (
    umask 077
    printf '%s' "$logstash_password" |
      jq -Rs '{password: ., description: "Logstash (scale-tiers): writes logs-*"}' >"${work_dir}/user.json"
  )
  jq -n --arg user "$logstash_user" '{users: [$user]}' >"${work_dir}/mapping.json"
  jq -n --argjson shards "$INDEX_SHARDS" --argjson replicas "$INDEX_REPLICAS" '{
    index_patterns: ["logs-*"],
    template: {settings: {number_of_shards: $shards, number_of_replicas: $replicas}},
    priority: 100
  }' >"${work_dir}/template.json"

  retry 5 opensearch_put "$endpoint" /_plugins/_security/api/roles/logstash_writer "${work_dir}/role.json"
  retry 5 opensearch_put "$endpoint" "/_plugins/_security/api/internalusers/${logstash_user}" "${work_dir}/user.json"
  retry 5 opensearch_put "$endpoint" /_plugins/_security/api/rolesmapping/logstash_writer "${work_dir}/mapping.json"
  retry 5 opensearch_put "$endpoint" /_index_template/logs "${work_dir}/template.json"
  rm -f -- "${work_dir}/user.json" "${work_dir}/master.curl"
  log "OpenSearch role logstash_writer, user ${logstash_user} and index template logs are in place"
}

render_settings() {
  cat <<YAML
# Written by the scale-tiers Logstash bootstrap; rewritten on every run.
path.data: ${queue_dir}
path.logs: /var/log/logstash
# Events are on disk before Beats gets its acknowledgement, and a clean
# shutdown (an instance refresh) indexes what is queued before it exits.
queue.type: persisted
path.queue: ${queue_dir}/queue
queue.max_bytes: ${QUEUE_MAX_GB}gb
queue.drain: true
api.http.host: 127.0.0.1
YAML
}

# The host and password come from the service's environment; the pipeline
# itself holds neither.
render_pipeline() {
  cat <<'PIPELINE'
# Written by the scale-tiers Logstash bootstrap; rewritten on every run.
input {
  beats {
    port => 5044
  }
}

output {
  opensearch {
    hosts => ["https://${OPENSEARCH_HOST}:443"]
    user => "${OPENSEARCH_USER}"
    password => "${OPENSEARCH_PASSWORD}"
    index => "logs-%{+YYYY.MM.dd}"
    # The bootstrap installs the `logs` index template as the master user.
    manage_template => false
  }
}
PIPELINE
}

configure_logstash() {
  local -r endpoint=$1 user=$2 password=$3
  local changed=false heap_mib
  heap_mib=$(memory_share_mib 50 512 31744)

  render_settings >"${work_dir}/logstash.yml"
  render_pipeline >"${work_dir}/pipeline.conf"
  file_changed=false
  install_when_changed "${work_dir}/logstash.yml" "${settings_dir}/logstash.yml" 0644 root logstash
  install_when_changed "${work_dir}/pipeline.conf" "$pipeline_file" 0644 root logstash
  [[ $file_changed == false ]] || changed=true

  # printf is a builtin: the password never reaches a command line.
  install -d -m 0755 "${service_env%/*}"
  (
    umask 077
    {
      printf 'OPENSEARCH_HOST=%s\n' "$endpoint"
      printf 'OPENSEARCH_USER=%s\n' "$user"
      printf 'OPENSEARCH_PASSWORD=%s\n' "$password"
      printf 'LS_JAVA_OPTS=-Xms%sm -Xmx%sm\n' "$heap_mib" "$heap_mib"
    } >"${work_dir}/logstash.env"
  )
  file_changed=false
  install_when_changed "${work_dir}/logstash.env" "$service_env" 0600 root root
  [[ $file_changed == false ]] || changed=true

  cat >"${work_dir}/env-dropin.conf" <<UNIT
# Written by the scale-tiers Logstash bootstrap: the domain's host and the
# logstash user's credentials, readable by root only.
[Service]
EnvironmentFile=${service_env}
UNIT
  install -d -m 0755 "${env_dropin%/*}"
  file_changed=false
  install_when_changed "${work_dir}/env-dropin.conf" "$env_dropin" 0644 root root
  if [[ $file_changed == true ]]; then
    systemctl daemon-reload
    changed=true
  fi
  start_or_restart logstash "$changed"
}

wait_for_beats_port() {
  local -r deadline=$((SECONDS + 300))
  until ss -Hltn "sport = :${beats_port}" | grep -q .; do
    ((SECONDS < deadline)) || die "Logstash is not listening on ${beats_port} after 300s; see journalctl -u logstash"
    sleep 5
  done
  log "Logstash listens on ${beats_port}"
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, domain ${DOMAIN_NAME})"
  validate_inputs
  work_dir=$(mktemp -d)

  install_missing_packages jq
  local volume
  volume=$(queue_volume_id)
  mount_data_volume "$volume" "$QUEUE_DEVICE_NAME" "$queue_dir" lsqueue
  install_logstash
  install -d -m 0750 -o logstash -g logstash "$queue_dir" "${queue_dir}/queue"
  # A new filesystem's root carries no label; under enforcing mode Logstash
  # could not write its queue.
  if command -v selinuxenabled >/dev/null && selinuxenabled; then
    restorecon -R "$queue_dir"
  fi
  require_mount_for_service logstash "$queue_dir"

  local endpoint master logstash master_user master_password logstash_user logstash_password
  endpoint=$(wait_for_domain_endpoint)
  log "domain endpoint: ${endpoint}"
  master=$(read_secret "$MASTER_SECRET_ARN")
  logstash=$(read_secret "$LOGSTASH_SECRET_ARN")
  master_user=$(secret_field "$master" username) || die "master secret has no username"
  master_password=$(secret_field "$master" password) || die "master secret has no password"
  logstash_user=$(secret_field "$logstash" username) || die "logstash secret has no username"
  logstash_password=$(secret_field "$logstash" password) || die "logstash secret has no password"
  require_plain_secret "master password" "$master_password"
  require_plain_secret "logstash password" "$logstash_password"
  [[ $master_user =~ ^[a-z][a-z0-9_-]{0,31}$ && $logstash_user =~ ^[a-z][a-z0-9_-]{0,31}$ ]] ||
    die "user names in the secrets must be lower-case words"

  write_master_auth "$master_user" "$master_password"
  provision_opensearch "$endpoint" "$logstash_user" "$logstash_password"
  configure_logstash "$endpoint" "$logstash_user" "$logstash_password"
  wait_for_beats_port
  log "done"
}

main "$@"
