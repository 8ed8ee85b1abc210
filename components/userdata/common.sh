# shellcheck shell=bash
#
# Helpers shared by the scale-tiers bootstrap scripts. Not a script of its own:
# the renderer (render.ts) inlines this file where a script says
# `# scale-tiers:include common.sh`, after the variables and `set -euo pipefail`.
#
# Provides: log, die, retry, start_logging (log file + console, EXIT and ERR
# traps), take_lock, files_differ, install_file, and work_dir (set it with
# mktemp -d; removed on exit).

readonly log_file=/var/log/scale-tiers-bootstrap.log
readonly lock_file=/run/scale-tiers-bootstrap.lock
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
