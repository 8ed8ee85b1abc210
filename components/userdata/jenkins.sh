#!/bin/bash
#
# scale-tiers Jenkins controller bootstrap (cloud-init user data, Amazon
# Linux 2023).
#
# Runs Jenkins LTS from the Jenkins project's own RPM repository on Java 21
# (the repository always serves the current LTS line, and the Jenkins project
# supports Java 21 since 2.426.1 and is dropping Java 17),
# with JENKINS_HOME on a separate EBS volume so jobs, history and plugins
# survive instance replacement. Jenkins is configured as code (the
# configuration-as-code plugin reads $JENKINS_HOME/casc.yaml at every start):
# no setup wizard, one local admin account from Secrets Manager, no sign-up,
# nothing for anonymous users, the site URL, two executors on the controller,
# and the global variables the sample Jenkinsfile deploys with. Changes made
# in the UI to those settings are overwritten at the next start.
#
# Builds run on the controller for now (a small team); agents are future
# work, and with them numExecutors: 0 here. A build on the controller runs as
# the jenkins user and can read JENKINS_HOME, so whoever can change a
# Jenkinsfile is effectively an administrator: keep write access to the
# repositories Jenkins builds as narrow as admin access.
#
# Plugins (installed once, when missing, by the Jenkins project's
# plugin-installation-manager tool with their dependencies; upgrades are done
# in the UI or by deleting the plugin and re-running): configuration-as-code,
# git, workflow-aggregator (Pipeline), timestamper. AWS calls in pipelines
# are plain `aws` shell steps with the instance role, so no AWS plugin and no
# stored AWS keys.
#
# The admin password reaches Jenkins as a systemd credential
# (LoadCredential=), read by the configuration-as-code plugin from
# $CREDENTIALS_DIRECTORY (SECRETS=%d): it is not in the unit file, nor in the
# environment that Jenkins passes on to every build.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME         region for the aws CLI, e.g. ap-northeast-2
#   DATA_VOLUME_ID          EBS data volume, e.g. vol-0123456789abcdef0
#   DATA_DEVICE_NAME        device name used in the attachment, e.g. /dev/sdf
#   ADMIN_SECRET_ARN        secret {"username","password"} of the admin
#   JENKINS_URL             the address users reach, e.g.
#                           http://jenkins.scale-tiers.internal/
#   ARTIFACT_BUCKET         S3 bucket for release packages
#   DEPLOY_DOCUMENT         SSM document that runs scale-tiers-deploy
#   DEPLOY_TARGET_TAG       key=value of the web servers' deploy tag, e.g.
#                           scale-tiers:deploy-group=tier150k-web
#   APP_VERSION_PARAMETER   SSM parameter recording the live version
#   DEPLOY_MAX_CONCURRENCY  servers deployed at once, e.g. 25% or 2
#   CLOUDWATCH_AGENT_PARAMETER  SSM parameter holding the CloudWatch agent's
#                           configuration; need not exist (monitoring off)
#   STACK_NAME              shown in Jenkins' system message
#
# Safe to run again, by hand or through SSM Run Command, and on a new instance
# attached to an existing data volume: the volume is adopted, plugins are only
# added, and a rotated admin password applies at the restart this causes.
# Log: /var/log/scale-tiers-bootstrap.log (and the console).
set -euo pipefail
# Without these, a failure inside $(...) or a function would go unnoticed or
# unreported.
shopt -s inherit_errexit
set -o errtrace

: "${AWS_REGION_NAME:?rendered by scale-tiers}"
: "${DATA_VOLUME_ID:?rendered by scale-tiers}"
: "${DATA_DEVICE_NAME:?rendered by scale-tiers}"
: "${ADMIN_SECRET_ARN:?rendered by scale-tiers}"
: "${JENKINS_URL:?rendered by scale-tiers}"
: "${ARTIFACT_BUCKET:?rendered by scale-tiers}"
: "${DEPLOY_DOCUMENT:?rendered by scale-tiers}"
: "${DEPLOY_TARGET_TAG:?rendered by scale-tiers}"
: "${APP_VERSION_PARAMETER:?rendered by scale-tiers}"
: "${DEPLOY_MAX_CONCURRENCY:?rendered by scale-tiers}"
: "${CLOUDWATCH_AGENT_PARAMETER:?rendered by scale-tiers}"
: "${STACK_NAME:?rendered by scale-tiers}"

# scale-tiers:include common.sh
# scale-tiers:include tools.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly mount_point=/data/jenkins
readonly jenkins_home=/data/jenkins/home
readonly fs_label=jenkins-home
readonly casc_file=/data/jenkins/home/casc.yaml
readonly credentials_dir=/etc/scale-tiers/jenkins
readonly casc_dropin=/etc/systemd/system/jenkins.service.d/casc.conf
readonly jenkins_war=/usr/share/java/jenkins.war
readonly java_home=/usr/lib/jvm/java-21-amazon-corretto
readonly plugin_manager_version=2.13.2
readonly plugin_manager_jar=/opt/scale-tiers/jenkins-plugin-manager-2.13.2.jar
readonly plugins='configuration-as-code git workflow-aggregator timestamper'
# The first start unpacks and loads every plugin.
readonly start_timeout_seconds=900

validate_inputs() {
  require_region
  require_data_volume
  require_secret_arn "$ADMIN_SECRET_ARN"
  [[ $JENKINS_URL =~ ^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/$ ]] ||
    die "JENKINS_URL must look like http://jenkins.example/ (with the trailing /): ${JENKINS_URL}"
  [[ $ARTIFACT_BUCKET =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
    die "ARTIFACT_BUCKET is not a bucket name: ${ARTIFACT_BUCKET}"
  [[ $DEPLOY_DOCUMENT =~ ^[A-Za-z0-9_.-]{3,128}$ ]] ||
    die "DEPLOY_DOCUMENT is not an SSM document name: ${DEPLOY_DOCUMENT}"
  # The pipeline splits it at the first = into --targets Key=tag:<key>,Values=<value>.
  [[ $DEPLOY_TARGET_TAG =~ ^[A-Za-z0-9_.:/+@-]+=[A-Za-z0-9_.:/+@-]+$ ]] ||
    die "DEPLOY_TARGET_TAG must be key=value: ${DEPLOY_TARGET_TAG}"
  [[ $APP_VERSION_PARAMETER =~ ^(/[A-Za-z0-9_.-]+)+$ ]] ||
    die "APP_VERSION_PARAMETER must look like /a/b: ${APP_VERSION_PARAMETER}"
  [[ $DEPLOY_MAX_CONCURRENCY =~ ^[1-9][0-9]{0,2}%?$ ]] ||
    die "DEPLOY_MAX_CONCURRENCY must be a number or a percentage: ${DEPLOY_MAX_CONCURRENCY}"
  [[ $STACK_NAME =~ ^[A-Za-z0-9_.-]+$ ]] ||
    die "STACK_NAME must use only [A-Za-z0-9_.-]: ${STACK_NAME}"
}

install_jenkins() {
  if ! rpm -q --quiet jenkins; then
    log "adding the Jenkins LTS repository"
    download https://pkg.jenkins.io/redhat-stable/jenkins.repo "${work_dir}/jenkins.repo"
    install_file "${work_dir}/jenkins.repo" /etc/yum.repos.d/jenkins.repo 0644 root root
    retry 5 rpm --import https://pkg.jenkins.io/redhat-stable/jenkins.io-2023.key
  fi
  # git, tar and Node.js are for builds on the controller; Node.js 20 is
  # AL2023's supported LTS stream (the unversioned nodejs is 18).
  install_missing_packages java-21-amazon-corretto-headless fontconfig git jq tar nodejs20 nodejs20-npm jenkins
  log "$(rpm -q jenkins) installed"
}

# The jenkins package's files are owned by the jenkins user, which exists
# only once the package is installed; hence after install_jenkins.
prepare_home() {
  install -d -m 0750 -o jenkins -g jenkins "$jenkins_home"
  label_like_for_selinux /var/lib/jenkins "$jenkins_home"
}

# Root-only copies of the admin credentials; systemd hands them to the
# service at every start (LoadCredential), so they survive reboots without
# re-running this script.
write_admin_credentials() {
  local -r secret=$1
  local user password
  user=$(secret_field "$secret" username) || die "admin secret has no username"
  password=$(secret_field "$secret" password) || die "admin secret has no password"
  [[ $user =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "admin username '${user}' must be 1-64 of [A-Za-z0-9_.-]"
  require_plain_secret "admin password" "$password"
  install -d -m 0700 -o root -g root "$credentials_dir"
  write_secret_file "${work_dir}/admin-username" "$user"
  write_secret_file "${work_dir}/admin-password" "$password"
  install_when_changed "${work_dir}/admin-username" "${credentials_dir}/admin-username" 0600 root root
  install_when_changed "${work_dir}/admin-password" "${credentials_dir}/admin-password" 0600 root root
}

write_dropin() {
  local -r staged="${work_dir}/casc.conf"
  local heap_mib
  heap_mib=$(memory_share_mib 50 512 8192)
  cat >"$staged" <<UNIT
# Written by the scale-tiers Jenkins bootstrap; rewritten on every run.
[Service]
Environment="JENKINS_HOME=${jenkins_home}"
WorkingDirectory=${jenkins_home}
Environment="JENKINS_PORT=8080"
# The Java the LTS line supports, whichever other Java an upgrade left behind.
Environment="JAVA_HOME=${java_home}"
Environment="JAVA_OPTS=-Djava.awt.headless=true -Djenkins.install.runSetupWizard=false -Xmx${heap_mib}m"
Environment="CASC_JENKINS_CONFIG=${casc_file}"
# configuration-as-code resolves \${NAME} from files named NAME in \$SECRETS.
Environment="SECRETS=%d"
LoadCredential=JENKINS_ADMIN_USERNAME:${credentials_dir}/admin-username
LoadCredential=JENKINS_ADMIN_PASSWORD:${credentials_dir}/admin-password
TimeoutStartSec=${start_timeout_seconds}
UNIT
  install -d -m 0755 "${casc_dropin%/*}"
  if files_differ "$staged" "$casc_dropin"; then
    install_file "$staged" "$casc_dropin" 0644 root root
    file_changed=true
    systemctl daemon-reload
  fi
}

write_casc() {
  local -r staged="${work_dir}/casc.yaml"
  local -r tag_key=${DEPLOY_TARGET_TAG%%=*} tag_value=${DEPLOY_TARGET_TAG#*=}
  # ${JENKINS_ADMIN_...} are left for configuration-as-code to resolve.
  cat >"$staged" <<YAML
# Written by the scale-tiers Jenkins bootstrap and applied at every start;
# change components/userdata/jenkins.sh in the scale-tiers repository.
jenkins:
  systemMessage: "scale-tiers ${STACK_NAME}: configured as code; settings made here are reset at restart."
  numExecutors: 2
  mode: NORMAL
  securityRealm:
    local:
      allowsSignup: false
      users:
        - id: "\${JENKINS_ADMIN_USERNAME}"
          password: "\${JENKINS_ADMIN_PASSWORD}"
  authorizationStrategy:
    loggedInUsersCanDoAnything:
      allowAnonymousRead: false
  globalNodeProperties:
    - envVars:
        env:
          - key: AWS_DEFAULT_REGION
            value: "${AWS_REGION_NAME}"
          - key: ARTIFACT_BUCKET
            value: "${ARTIFACT_BUCKET}"
          - key: DEPLOY_DOCUMENT
            value: "${DEPLOY_DOCUMENT}"
          - key: DEPLOY_TARGET_TAG
            value: "${DEPLOY_TARGET_TAG}"
          - key: DEPLOY_TARGET_TAG_KEY
            value: "${tag_key}"
          - key: DEPLOY_TARGET_TAG_VALUE
            value: "${tag_value}"
          - key: APP_VERSION_PARAMETER
            value: "${APP_VERSION_PARAMETER}"
          - key: DEPLOY_MAX_CONCURRENCY
            value: "${DEPLOY_MAX_CONCURRENCY}"
unclassified:
  location:
    url: "${JENKINS_URL}"
YAML
  install_when_changed "$staged" "$casc_file" 0644 root jenkins
}

install_plugins() {
  local -a wanted missing=()
  local plugin
  read -ra wanted <<<"$plugins"
  for plugin in "${wanted[@]}"; do
    if [[ ! -e "${jenkins_home}/plugins/${plugin}.jpi" && ! -e "${jenkins_home}/plugins/${plugin}.hpi" ]]; then
      missing+=("$plugin")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "plugins already installed: ${wanted[*]}"
    return 0
  fi
  if [[ ! -s $plugin_manager_jar ]]; then
    install -d -m 0755 "${plugin_manager_jar%/*}"
    download "https://github.com/jenkinsci/plugin-installation-manager-tool/releases/download/${plugin_manager_version}/jenkins-plugin-manager-${plugin_manager_version}.jar" "${work_dir}/plugin-manager.jar"
    install_file "${work_dir}/plugin-manager.jar" "$plugin_manager_jar" 0644 root root
  fi
  log "installing plugins ${missing[*]} (with their dependencies)"
  install -d -m 0755 -o jenkins -g jenkins "${jenkins_home}/plugins"
  retry 3 runuser -u jenkins -- "${java_home}/bin/java" -jar "$plugin_manager_jar" --war "$jenkins_war" \
    --plugin-download-directory "${jenkins_home}/plugins" --plugins "${missing[@]}"
  file_changed=true
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, volume ${DATA_VOLUME_ID}, ${JENKINS_URL})"
  validate_inputs
  work_dir=$(mktemp -d)

  mount_data_volume "$DATA_VOLUME_ID" "$DATA_DEVICE_NAME" "$mount_point" "$fs_label"
  install_jenkins
  require_mount_for_service jenkins "$mount_point"
  prepare_home

  local admin_secret
  admin_secret=$(read_secret "$ADMIN_SECRET_ARN")
  file_changed=false
  write_admin_credentials "$admin_secret"
  write_dropin
  write_casc
  install_plugins
  # Configuration as code is applied at start, so any change means a restart.
  start_or_restart jenkins "$file_changed"
  wait_for_http http://127.0.0.1:8080/login "$start_timeout_seconds"
  install_cloudwatch_agent_sync
  log "done"
}

main "$@"
