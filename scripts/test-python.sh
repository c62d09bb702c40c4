#!/usr/bin/env bash
# npm run test:python: the agent-warden Python package's strict type check and its tests against a real
# `warden start`. The virtual environment python/.venv is (re)installed only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
# Where only a local package index answers, pip would retry each unreachable one five times per package.
export PIP_RETRIES="${PIP_RETRIES:-0}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "test:python: '$PYTHON' not found. The Python package's tests need Python 3.9 or newer (set PYTHON= to choose one)." >&2
  exit 1
fi

venv="$PWD/python/.venv"
stamp="$venv/.agent-warden-installed"
wanted="$(sha256sum python/pyproject.toml | cut -d' ' -f1) $("$PYTHON" --version 2>&1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "test:python: installing the package and its test extras into $venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --editable "./python[test]"
  # The framework adapters are tested wherever their framework installs from the configured package
  # index; where it does not, their tests are skipped (pytest -ra names them) and the rest still runs.
  for extra in test-langchain test-openai-agents; do
    "$venv/bin/python" -m pip install --quiet --editable "./python[$extra]" ||
      echo "test:python: the [$extra] extra did not install here; its adapter tests will be skipped" >&2
  done
  echo "$wanted" >"$stamp"
fi

# The tests run the real CLI: build it when it is missing (npm test builds it before this step).
[ -f dist/cli/bin.js ] || npm run build --silent

# Strict type check of everything, except an adapter (and its test) whose framework is not installed here:
# its imports cannot be resolved, and its tests are skipped for the same reason.
checked=$(cd python && find src tests ../examples/python -name '*.py' | sort)
for framework in "langchain:langchain_core, langchain.agents" "openai_agents:agents"; do
  module=${framework%%:*}
  if ! "$venv/bin/python" -c "import ${framework#*:}" 2>/dev/null; then
    echo "test:python: ${framework#*:} is not installed: the $module adapter is neither type-checked nor tested" >&2
    checked=$(grep -v -e "adapters/$module.py" -e "tests/test_$module.py" <<<"$checked")
  fi
done
# shellcheck disable=SC2086 # one file name per word
(cd python && ../node_modules/.bin/pyright --project . --pythonpath "$venv/bin/python" $checked)

status=0
"$venv/bin/python" -m pytest python/tests -q || status=$?
if [ "$status" -eq 5 ]; then
  echo "test:python: pytest collected no tests: that is a failure, not a pass" >&2
  exit 1
fi
exit "$status"
