#!/usr/bin/env bash
# The step action.yml runs: turns the action's inputs into one dgate-cli command line. The admin
# URL and key are looked up by name, in the environment first, then in the secrets JSON the
# workflow passed (toJSON(secrets)); the JSON itself never reaches dgate-cli's environment.
set -uo pipefail

lookup() {
  local name="$1"
  if [[ ! "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    echo "::error title=dgate-cli action::'$name' is not a secret or variable name" >&2
    exit 1
  fi
  if [ -n "${!name:-}" ]; then
    printf '%s' "${!name}"
    return
  fi
  INPUT_SECRETS="${INPUT_SECRETS:-}" node -e '
    const all = JSON.parse(process.env.INPUT_SECRETS || "{}");
    const value = all[process.argv[1]];
    if (typeof value === "string") process.stdout.write(value);
  ' "$name"
}

url=$(lookup "${INPUT_ADMIN_URL_SECRET:-DGATE_ADMIN_URL}") || exit 1
key=$(lookup "${INPUT_ADMIN_KEY_SECRET:-DGATE_ADMIN_KEY}") || exit 1
[ -n "$url" ] && export DGATE_ADMIN_URL="$url"
[ -n "$key" ] && export DGATE_ADMIN_KEY="$key"
[ -n "${INPUT_GITHUB_TOKEN:-}" ] && export GITHUB_TOKEN="$INPUT_GITHUB_TOKEN"
unset INPUT_SECRETS

args=("${INPUT_COMMAND:-plan}")
[ -n "${INPUT_PATH:-}" ] && args+=("$INPUT_PATH")
for t in ${INPUT_TARGET:-}; do args+=(--target "$t"); done
[ "${INPUT_COMMAND:-plan}" = plan ] && [ "${INPUT_COMMENT:-false}" = true ] && args+=(--comment)
[ "${INPUT_COMMAND:-plan}" = apply ] && args+=(--auto-approve)
if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -a extra <<< "$INPUT_ARGS"
  args+=("${extra[@]}")
fi

node "${DGATE_CLI_BIN:-$(dirname "$0")/dgate-cli}" "${args[@]}"
code=$?
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "exit-code=$code" >> "$GITHUB_OUTPUT"; fi
exit "$code"
