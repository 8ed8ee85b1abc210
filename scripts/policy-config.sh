#!/usr/bin/env bash
# The CrossGuard pack settings of a stack: policy/config/<stack>.json, or the
# pack's defaults for a stack that has none. Shared by the workflows that run
# the pack (preview, deploy), as `pulumi ... --policy-pack-config "$(...)"`.
#
# Usage: bash scripts/policy-config.sh <stack>
set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
  echo "usage: bash scripts/policy-config.sh <stack>" >&2
  exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="policy/config/$1.json"
[[ -f "$repo_root/$config" ]] || config=policy/config/default.json
echo "$config"
