#!/bin/bash
#
# scale-tiers boot loader: the user data of every server.
#
# A server's boot script (web.sh, mysql.sh... rendered with its values) is
# published by the program as an S3 object named after its SHA-256
# (components/shared/boot.ts). This loader, the same small file for every
# role, fetches that object with the instance role, checks its SHA-256
# against the one pinned here, and only then runs it. A missing object, a
# refused read or a different digest stops the boot with an ERROR on the
# console and a non-zero exit status, before anything of the script has run.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   BOOT_BUCKET   the bucket holding the boot scripts
#   BOOT_KEY      this server's script, boot/<instance role>/<sha256>.sh
#   BOOT_SHA256   the script's SHA-256, hex
#
# No secrets here or in the script: it reads them with the instance role.
set -euo pipefail
shopt -s inherit_errexit

: "${BOOT_BUCKET:?rendered by scale-tiers}"
: "${BOOT_KEY:?rendered by scale-tiers}"
: "${BOOT_SHA256:?rendered by scale-tiers}"

# cloud-init runs user data with a minimal environment; the aws CLI wants HOME.
export HOME="${HOME:-/root}"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin

readonly source_url="s3://${BOOT_BUCKET}/${BOOT_KEY}"
# A new role policy can take seconds to reach S3, and the network a moment to
# come up: about two minutes of attempts, 2, 4, 8, 16, then 30 seconds apart.
readonly max_attempts=8

# stderr reaches the console (and cloud-init-output.log) as the scripts' log does.
log() {
  printf '%(%Y-%m-%dT%H:%M:%S%z)T scale-tiers-loader: %s\n' -1 "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# An instance metadata value; IMDSv2 only (the servers require a token).
imds_get() {
  local token
  token=$(curl -fsS --max-time 5 --retry 5 --retry-connrefused -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
  curl -fsS --max-time 5 --retry 5 --retry-connrefused -H "X-aws-ec2-metadata-token: ${token}" \
    "http://169.254.169.254/latest/meta-data/$1"
}

region=$(imds_get placement/region) || die "cannot read the region from the instance metadata service"
readonly region

# /run is root's and gone at the next boot; mktemp makes the folder 0700.
stage=$(mktemp -d /run/scale-tiers-boot.XXXXXX)
readonly stage script="${stage}/boot.sh"

attempt=1
delay=2
until aws s3 cp --only-show-errors --region "$region" "$source_url" "$script" 2>"${stage}/error"; do
  error=$(<"${stage}/error")
  # Not found is final (the key is a digest: no later write can create it); a refusal may be
  # an instance role whose policy has not reached S3 yet.
  if [[ $error == *"(404)"* ]] || ((attempt >= max_attempts)); then
    die "cannot fetch ${source_url} (attempt ${attempt}): ${error}"
  fi
  log "attempt ${attempt}/${max_attempts} to fetch ${source_url} failed, retrying in ${delay}s: ${error}"
  sleep "$delay"
  attempt=$((attempt + 1))
  delay=$((delay * 2 > 30 ? 30 : delay * 2))
done

digest=$(sha256sum -- "$script")
digest=${digest%% *}
if [[ $digest != "$BOOT_SHA256" ]]; then
  die "${source_url} has SHA-256 ${digest}, not ${BOOT_SHA256} as this server's user data pins; nothing of it was run"
fi
chmod 0700 -- "$script"
log "running ${source_url} (SHA-256 verified)"
exec /bin/bash -- "$script"
