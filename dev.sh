#!/usr/bin/env bash
# The two developer commands (see README.md):
#   ./dev.sh demo    set up, migrate, simulate the quickstart scenario (sandbox), serve on http://127.0.0.1:8000
#   ./dev.sh test    set up, make sure PostgreSQL, Chromium, promtool and axe-core are there, ruff, pytest (two processes)
# Works on a fresh Debian machine with only python3 (3.11+); system packages are installed with
# apt-get when missing (as root, or through passwordless sudo).
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$PWD
VENV=$ROOT/.venv
STAMP=$VENV/.dev-installed
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'dev.sh: %s\n' "$*" >&2
    exit 1
}

# Runs a command as root: directly, or through sudo when that needs no password.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        return 1
    fi
}

can_be_root() { as_root true 2>/dev/null; }

APT_UPDATED=
# apt_install PACKAGE...: returns non-zero (with a message) when it cannot.
apt_install() {
    if ! command -v apt-get >/dev/null; then
        say "apt-get not found; install these yourself: $*"
        return 1
    fi
    if ! can_be_root; then
        say "installing $* needs root (or passwordless sudo)"
        return 1
    fi
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -qq || return 1
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Outside CI a missing service only skips its tests; in CI it is an error.
missing() {
    if [ "${CI:-}" = "true" ]; then
        die "$1"
    fi
    say "warning: $1; $2 will be skipped"
}

setup() {
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || die "python3 3.11 or newer is needed"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating .venv"
        if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
            # Debian's python3 has no ensurepip until python3-venv is installed.
            rm -rf "$VENV"
            apt_install python3-venv || die "python3 -m venv does not work and python3-venv could not be installed"
            python3 -m venv "$VENV"
        fi
    fi
    # Reinstall when pyproject.toml changed, or when .venv points at another checkout (-I: not this
    # directory, which is always importable from here, but what is installed).
    if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || ! "$VENV/bin/python" -I - "$ROOT" <<'PY'; then
import importlib.util, sys
spec = importlib.util.find_spec("billing")
sys.exit(0 if spec and spec.origin and spec.origin.startswith(sys.argv[1] + "/") else 1)
PY
        say "installing the package and its test tools into .venv"
        "$VENV/bin/python" -m pip install -q -e '.[test]'
        touch "$STAMP"
    fi
    export PATH="$VENV/bin:$PATH"
}

# Can the test suite's URL reach PostgreSQL? (libpq spelling: no "+psycopg")
pg_connects() {
    python - "$1" <<'PY' 2>/dev/null
import sys
import psycopg
psycopg.connect(sys.argv[1].replace("+psycopg", ""), connect_timeout=5).close()
PY
}

as_postgres_psql() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qAt "$@")
    else
        (cd / && sudo -n -u postgres psql -v ON_ERROR_STOP=1 -qAt "$@")
    fi
}

ensure_postgres() {
    # A server of the caller's own choosing is used as given.
    if [ -n "${BILLING_TEST_PG_URL:-}" ]; then
        return 0
    fi
    if ! command -v pg_ctlcluster >/dev/null; then
        say "installing PostgreSQL"
        apt_install postgresql || {
            missing "PostgreSQL is not installed and could not be installed" "the PostgreSQL tests"
            return 0
        }
    fi
    if ! pg_isready -h 127.0.0.1 -q; then
        local version
        version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1) || true
        say "starting PostgreSQL $version"
        if [ -z "$version" ] || ! as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start; then
            missing "could not start PostgreSQL" "the PostgreSQL tests"
            return 0
        fi
        for _ in $(seq 1 30); do
            pg_isready -h 127.0.0.1 -q && break
            sleep 1
        done
        pg_isready -h 127.0.0.1 -q || die "PostgreSQL did not accept connections within 30 s"
    fi
    if pg_connects postgresql+psycopg://postgres@127.0.0.1:5432/postgres; then
        return 0
    fi
    # A stock Debian server asks for a password over TCP: use a test role that has one
    # (it may create databases, nothing more; the server listens on localhost only).
    local own=postgresql+psycopg://billing_test:billing_test@127.0.0.1:5432/postgres
    if ! pg_connects "$own"; then
        say "creating the PostgreSQL role billing_test for the tests"
        if ! can_be_root || ! as_postgres_psql <<'SQL'; then
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'billing_test') THEN
        CREATE ROLE billing_test LOGIN CREATEDB PASSWORD 'billing_test';
    ELSE
        ALTER ROLE billing_test LOGIN CREATEDB PASSWORD 'billing_test';
    END IF;
END
$$;
SQL
            missing "PostgreSQL refuses postgres@127.0.0.1 and the billing_test role could not be made" \
                "the PostgreSQL tests (set BILLING_TEST_PG_URL)"
            return 0
        fi
        pg_connects "$own" || die "PostgreSQL refuses billing_test on 127.0.0.1; check pg_hba.conf"
    fi
    export BILLING_TEST_PG_URL=$own
}

ensure_chromium() {
    # pdftotext (poppler-utils) reads the report PDFs back in the tests.
    if [ -x /usr/bin/chromium ] && command -v pdftotext >/dev/null; then
        return 0
    fi
    say "installing Chromium and poppler-utils (browser and PDF tests)"
    apt_install chromium fonts-liberation poppler-utils || missing "/usr/bin/chromium or pdftotext is missing" "the browser tests"
}

# promtool checks deploy/prometheus.yml and deploy/alerts.yml (tests/test_deploy_files.py). Debian ships it in
# the prometheus package, whose installation would also start a Prometheus server: only the binary is
# taken out of the package, into .venv/bin.
ensure_promtool() {
    if command -v promtool >/dev/null; then
        return 0
    fi
    say "installing promtool (from Debian's prometheus package)"
    local tmp rc=0
    tmp=$(mktemp -d)
    # APT::Sandbox::User=root: apt's own download user could not write into this directory.
    if can_be_root && { [ -n "$APT_UPDATED" ] || as_root apt-get update -qq; } && APT_UPDATED=1 &&
        (cd "$tmp" && as_root apt-get download -qq -o APT::Sandbox::User=root prometheus &&
            dpkg-deb -x prometheus_*.deb root); then
        install -m 0755 "$tmp/root/usr/bin/promtool" "$VENV/bin/promtool"
    else
        rc=1
    fi
    rm -rf "$tmp"
    [ "$rc" -eq 0 ] || missing "promtool could not be installed" "the Prometheus rules checks"
}

# axe-core (the accessibility checker the browser tests inject into every staff page), from the npm
# registry, pinned by version and sha512 integrity, kept in .venv/share/axe-core/ (never a CDN).
AXE_VERSION=4.14.1
AXE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
ensure_axe() {
    local dir=$VENV/share/axe-core
    if [ -f "$dir/axe.min.js" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$AXE_VERSION" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null; then
        say "installing npm (to fetch axe-core)"
        apt_install npm || {
            missing "npm is missing, axe-core cannot be fetched" "the accessibility tests"
            return 0
        }
    fi
    say "fetching axe-core $AXE_VERSION from the npm registry"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null) || {
        rm -rf "$tmp"
        missing "npm pack axe-core@$AXE_VERSION failed" "the accessibility tests"
        return 0
    }
    # npm checks the registry's own integrity; this checks the one pinned here.
    if ! "$VENV/bin/python" - "$tmp/axe-core-$AXE_VERSION.tgz" "$AXE_INTEGRITY" <<'PY'; then
import base64, hashlib, sys
digest = base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode()
sys.exit(0 if "sha512-" + digest == sys.argv[2] else 1)
PY
        rm -rf "$tmp"
        die "axe-core-$AXE_VERSION.tgz does not match its pinned sha512"
    fi
    tar -xzf "$tmp/axe-core-$AXE_VERSION.tgz" -C "$tmp" package/axe.min.js package/LICENSE
    mkdir -p "$dir"
    mv "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dir/"
    echo "$AXE_VERSION" >"$dir/VERSION"
    rm -rf "$tmp"
}

cmd_demo() {
    setup
    # Readable console logs unless the caller asked otherwise.
    export BILLING_LOG_JSON=${BILLING_LOG_JSON:-false}
    # A sandbox on a simulated clock; the simulated bank's state is shared with the server, so a retry
    # from the finance API meets the same accounts and charges.
    export BILLING_SANDBOX=true
    mkdir -p instance
    export BILLING_SIMULATOR_STATE=${BILLING_SIMULATOR_STATE:-$ROOT/instance/bank.sqlite3}
    say "migrating the database"
    billing db upgrade
    say "simulating the quickstart scenario (January-June 2024, about 350 workers)"
    billing demo seed --base-url http://127.0.0.1:8000
    say "serving; stop with Ctrl-C"
    exec billing serve --host 127.0.0.1 --port 8000
}

cmd_test() {
    setup
    ensure_postgres
    ensure_chromium
    ensure_promtool
    ensure_axe
    say "ruff check"
    ruff check .
    say "ruff format --check"
    ruff format --check .
    # Two processes share the tests (pytest-xdist); those marked exclusive (one restarts PostgreSQL)
    # run afterwards, alone. Each run's counts go to a tally, printed as one line at the end.
    local tally rc=0 parallel_rc=0 exclusive_rc=0
    tally=$(mktemp)
    say "pytest, on ${BILLING_TEST_WORKERS:-2} processes"
    BILLING_TEST_TALLY=$tally pytest -n "${BILLING_TEST_WORKERS:-2}" --dist loadgroup --exclusive=deselect "$@" ||
        parallel_rc=$?
    say "pytest, the exclusive tests one at a time"
    BILLING_TEST_TALLY=$tally pytest -p no:xdist --exclusive=only "$@" || exclusive_rc=$?
    # 5: this run selected no test; an error only when neither did.
    if [ "$parallel_rc" -eq 5 ] && [ "$exclusive_rc" -eq 5 ]; then
        rm -f "$tally"
        die "pytest collected no tests"
    fi
    for part in "$parallel_rc" "$exclusive_rc"; do
        if [ "$part" -ne 0 ] && [ "$part" -ne 5 ] && [ "$rc" -eq 0 ]; then
            rc=$part
        fi
    done
    awk '{ p += $1; f += $2; s += $3 } END { if (p + f + s) printf "pytest: %d passed, %d failed, %d skipped\n", p, f, s }' "$tally"
    rm -f "$tally"
    return "$rc"
}

case "${1:-}" in
demo)
    shift
    cmd_demo "$@"
    ;;
test)
    shift
    cmd_test "$@"
    ;;
*)
    printf 'usage: %s demo | test [pytest arguments]\n' "$0" >&2
    exit 2
    ;;
esac
