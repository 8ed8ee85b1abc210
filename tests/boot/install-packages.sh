#!/bin/bash
#
# Installs the Debian packages the boot harness needs on its host: the real
# services that stand in for Amazon Linux's (tests/boot/packages/*/deb) and
# the tools the sandbox uses. Package scripts must not start those services
# on the host (there is no systemd here anyway, and their init scripts would),
# so a policy-rc.d refusing every start is in place while apt runs.
#
#   tests/boot/install-packages.sh          what the @quick scenarios need (CI)
#   tests/boot/install-packages.sh --all    what every scenario needs
set -euo pipefail

packages=(util-linux procps iproute2 curl jq tar xfsprogs nginx memcached mariadb-server mariadb-client
  php8.2-fpm php8.2-cli php8.2-mysql php8.2-mbstring php8.2-xml php8.2-intl php8.2-gd php8.2-opcache postgresql-15 python3
  python3-yaml)
if [[ ${1-} == --all ]]; then
  packages+=(rabbitmq-server)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo_cmd=()
if ((EUID != 0)); then
  sudo_cmd=(sudo)
fi
policy=/usr/sbin/policy-rc.d
added_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# Written by tests/boot/install-packages.sh while it runs.\nexit 101\n' |
    "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 0755 "$policy"
  added_policy=true
fi
cleanup() {
  if [[ $added_policy == true ]]; then
    "${sudo_cmd[@]}" rm -f -- "$policy"
  fi
}
trap cleanup EXIT
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
