#!/usr/bin/env bash
# The project's one test command (README.md, and .ci/run on a fresh machine): installs what the
# tests need, the system packages through apt and the Python ones through pip, then runs them all.
# Arguments go to pytest, e.g. `bash tests/run.sh -k browser -x`, and then only that pytest run
# happens; without them, the compatibility runs of tests/compat/run.py follow the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# Debian packages the tests drive for real: the three browser engines (Chromium; Firefox ESR;
# WebKitGTK's MiniBrowser with its WebDriver, on a virtual X display), and the web servers that
# the generated host config files are for.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || missing+=(webkit2gtk-driver)
[ -x /usr/bin/Xvfb ] || missing+=(xvfb)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/sbin/apache2 ] || missing+=(apache2)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    # The packages may start system services on port 80; the tests run their own on loopback.
    service nginx stop >/dev/null 2>&1 || true
    service apache2 stop >/dev/null 2>&1 || true
  else
    echo "tests/run.sh: missing ${missing[*]}; install with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

"$PYTHON" -m pip install --quiet --disable-pip-version-check -e ".[test,dev,docs]"

# The checks that pre-commit runs on each commit: lint, format and types, Python and TypeScript.
"$PYTHON" -m ruff check --quiet .
"$PYTHON" -m ruff format --check --quiet .
"$PYTHON" -m mypy
(cd labextension && npm run --silent lint:check)

# With arguments, only the pytest run they select.
if [ $# -gt 0 ]; then
  exec "$PYTHON" -m pytest "$@"
fi

# The whole suite, on the versions the test extra pins; then the compatibility runs, each in a
# virtualenv of its own with other versions (tests/compat/run.py says which, and why).
status=0
"$PYTHON" -m pytest || status=$?
"$PYTHON" tests/compat/run.py || status=$?
exit $status
