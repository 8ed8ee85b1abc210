#!/usr/bin/env bash
# Validate every GitHub Actions workflow against the schema bundled in
# @action-validator/cli (a pinned devDependency). Needs no network: the schema
# is compiled into the package's WebAssembly module.
#
# Usage (from anywhere; paths are resolved from the repo root):
#   bash scripts/validate-workflows.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

validator="node_modules/.bin/action-validator"
if [[ ! -x "$validator" ]]; then
  echo "validate-workflows: $validator not found; run 'npm ci' first" >&2
  exit 1
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob

if [[ ${#workflows[@]} -eq 0 ]]; then
  echo "validate-workflows: no workflow files under .github/workflows" >&2
  exit 1
fi

# The CLI accepts exactly one file per call, so loop, and keep going after a
# failure so one run reports every broken file.
failed=()
for wf in "${workflows[@]}"; do
  if "$validator" "$wf"; then
    echo "ok      $wf"
  else
    echo "FAILED  $wf" >&2
    failed+=("$wf")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "validate-workflows: ${#failed[@]} of ${#workflows[@]} workflow(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "validate-workflows: all ${#workflows[@]} workflow(s) valid"
