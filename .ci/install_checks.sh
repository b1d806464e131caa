#!/usr/bin/env bash
# The ways to install and run dicetm besides pip, exercised as users run them: the GitHub Action (its steps as a
# script), the pre-commit hooks (pre-commit try-repo) and the Docker image (docker build where a Docker engine
# answers, else hadolint on the Dockerfile). Runs after scripts/test.sh, whose .venv has pre-commit and hadolint.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
venv="$repo/.venv/bin"

echo "== action.yml: the steps of the composite Action"
"$venv/python" .ci/action_steps.py

echo "== .pre-commit-hooks.yaml: pre-commit try-repo on a workspace"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/support-chatbot/. "$work/"
git -C "$work" init -q
commit() { git -C "$work" add -A && git -C "$work" -c user.name=ci -c user.email=ci@example.invalid commit -qm "$1"; }
commit "a model with unreviewed threats"
set +e
(cd "$work" && "$venv/pre-commit" try-repo "$repo" dicetm-check --all-files) > "$work/.hook-fails.log" 2>&1
code=$?
set -e
grep -q "policy failed" "$work/.hook-fails.log" && [ "$code" -eq 1 ] \
  || { cat "$work/.hook-fails.log"; echo "dicetm-check should fail on unreviewed threats (exit $code)"; exit 1; }
printf 'preset: default\nblock_unreviewed_at_or_above: null\n' > "$work/dicetm-policy.yaml"
commit "a policy that holds"
(cd "$work" && "$venv/pre-commit" try-repo "$repo" --all-files) > "$work/.hook-passes.log" 2>&1 \
  || { cat "$work/.hook-passes.log"; echo "the hooks should pass once the policy holds"; exit 1; }
grep -q "dicetm threat model gate\.*Passed" "$work/.hook-passes.log" && ! grep -q "Failed" "$work/.hook-passes.log" \
  || { cat "$work/.hook-passes.log"; exit 1; }
echo "pre-commit: dicetm-check fails on unreviewed threats and passes under a policy that holds"

echo "== Dockerfile"
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  docker build --quiet --tag dicetm-ci .
  docker run --rm dicetm-ci --version
  docker run --rm --entrypoint id dicetm-ci -u | grep -qvx 0 || { echo "the image runs as root"; exit 1; }
else
  echo "no Docker engine here: linting the Dockerfile with hadolint instead"
  "$venv/hadolint" --failure-threshold info Dockerfile
fi
echo "install checks: passed"
