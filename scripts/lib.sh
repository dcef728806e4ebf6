# Shared by scripts/dev, scripts/test and scripts/bench: find or start what Kairos needs
# on this machine, installing it when missing. Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL="$ROOT/.local"
mkdir -p "$LOCAL"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kairos-target}"
# Builds use the committed query metadata (.sqlx/), never a live database.
export SQLX_OFFLINE=true
export AWS_REGION="${AWS_REGION:-eu-central-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export KAIROS_MOTO_PORT="${KAIROS_MOTO_PORT:-4566}"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:$KAIROS_MOTO_PORT}"
export JWT_SECRET_ID="${JWT_SECRET_ID:-kairos/jwt-signing-keys}"
# The web app's origin, the only one CORS allows.
export CORS_ALLOWED_ORIGIN="${CORS_ALLOWED_ORIGIN:-http://127.0.0.1:5173}"

STARTED_PIDS=()

log() { printf '\033[1m[kairos]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    log "installing $* (apt-get)"
    if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq >/dev/null; APT_UPDATED=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Stop whatever this script started, in reverse order.
stop_started() {
    local i
    for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
        kill "${STARTED_PIDS[$i]}" 2>/dev/null || true
    done
    if [ -n "${STARTED_PG:-}" ]; then
        log "stopping the private PostgreSQL cluster"
        as_postgres "$PG_BIN/pg_ctl" -D "$LOCAL/pg/data" -m fast stop >/dev/null 2>&1 || true
    fi
}

rust_toolchain() {
    command -v cargo >/dev/null || die "cargo is not installed (https://rustup.rs)"
    if command -v rustup >/dev/null; then
        for c in rustfmt clippy; do
            rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c" >/dev/null
        done
    fi
}

pg_ready() { # host port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null || return 1
    psql "postgres://postgres@$1:$2/postgres" -Atqc 'select 1' >/dev/null 2>&1
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# PostgreSQL: the server on 127.0.0.1:5432 if it answers, else a private cluster under
# .local/pg (Debian's packages installed if missing). Exports KAIROS_PG_HOST/PORT.
# KAIROS_PRIVATE_PG=1 uses the private cluster even when 5432 answers.
ensure_postgres() {
    command -v psql >/dev/null || apt_install postgresql-client
    if [ -z "${KAIROS_PRIVATE_PG:-}" ] && pg_ready 127.0.0.1 5432; then
        export KAIROS_PG_HOST=127.0.0.1 KAIROS_PG_PORT=5432
        log "PostgreSQL: using the server on 127.0.0.1:5432"
        return
    fi
    export KAIROS_PG_HOST=127.0.0.1 KAIROS_PG_PORT="${KAIROS_PRIVATE_PG_PORT:-5433}"
    if pg_ready "$KAIROS_PG_HOST" "$KAIROS_PG_PORT"; then
        log "PostgreSQL: using the private cluster on port $KAIROS_PG_PORT"
        return
    fi
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        apt_install postgresql
        PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    mkdir -p "$LOCAL/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$LOCAL/pg"
    if [ ! -f "$LOCAL/pg/data/PG_VERSION" ]; then
        log "PostgreSQL: creating a private cluster in .local/pg"
        as_postgres "$PG_BIN/initdb" -D "$LOCAL/pg/data" -U postgres --auth=trust >/dev/null
    fi
    log "PostgreSQL: starting the private cluster on port $KAIROS_PG_PORT"
    as_postgres "$PG_BIN/pg_ctl" -D "$LOCAL/pg/data" -l "$LOCAL/pg/server.log" -w \
        -o "-p $KAIROS_PG_PORT -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
    STARTED_PG=1
    pg_ready "$KAIROS_PG_HOST" "$KAIROS_PG_PORT" || die "PostgreSQL did not start (see .local/pg/server.log)"
}

# PostgreSQL's server binaries (initdb, pg_ctl): the tests start a password-checking
# cluster of their own. Exports KAIROS_PG_BIN.
ensure_pg_binaries() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        apt_install postgresql
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    export KAIROS_PG_BIN="$bin"
}

moto_ready() { curl -sf "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; }

# moto server (SQS, SES, Secrets Manager, S3) from .local/venv, with the resources Kairos
# expects. Reuses a running one.
ensure_moto() {
    command -v curl >/dev/null || apt_install curl
    # The venv also carries boto3, which creates the resources below.
    if [ ! -x "$LOCAL/venv/bin/moto_server" ]; then
        python3 -m venv "$LOCAL/venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$LOCAL/venv"; }
        log "installing moto into .local/venv (pip)"
        "$LOCAL/venv/bin/pip" install -q 'moto[server]' || die "pip could not install moto"
    fi
    if moto_ready; then
        log "moto: using the one on $AWS_ENDPOINT_URL"
    else
        log "starting moto on $AWS_ENDPOINT_URL"
        # moto's server with its queue walks made cheap (see the script).
        "$LOCAL/venv/bin/python" "$ROOT/scripts/moto-server.py" -H 127.0.0.1 -p "$KAIROS_MOTO_PORT" >"$LOCAL/moto.log" 2>&1 &
        STARTED_PIDS+=($!)
        for _ in $(seq 50); do moto_ready && break; sleep 0.2; done
        moto_ready || die "moto did not start (see .local/moto.log)"
    fi
    "$LOCAL/venv/bin/python" "$ROOT/scripts/local-aws.py" || die "could not create the local AWS resources"
}

# URLs for a database: the owner (migrations, seeding), the application role and the
# cross-tenant workers' role.
database_env() { # database name
    export DATABASE_ADMIN_URL="postgres://postgres@$KAIROS_PG_HOST:$KAIROS_PG_PORT/$1"
    export DATABASE_URL="postgres://kairos_app@$KAIROS_PG_HOST:$KAIROS_PG_PORT/$1"
    export JOBS_DATABASE_URL="postgres://kairos_jobs@$KAIROS_PG_HOST:$KAIROS_PG_PORT/$1"
}

# --- Packaging and infrastructure checks (scripts/build, scripts/cdk-check) ---

# A PyPI package in .local/venv, installed when its module does not import.
ensure_venv_package() { # pip-spec python-module
    if [ ! -x "$LOCAL/venv/bin/pip" ]; then
        python3 -m venv "$LOCAL/venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$LOCAL/venv"; }
    fi
    "$LOCAL/venv/bin/python" -c "import $2" 2>/dev/null && return
    log "installing $1 into .local/venv (pip)"
    "$LOCAL/venv/bin/pip" install -q "$1" || die "pip could not install $1"
}

# Node.js 18+ and npm (Debian's packages when missing).
ensure_node() {
    command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge 18 ] || die "Node.js $major is too old for infra-cdk (18 or newer)"
}

# infra-cdk/node_modules exactly as package-lock.json says; npm ci only when the lock changed.
ensure_infra_modules() {
    ensure_node
    local stamp="$ROOT/infra-cdk/node_modules/.package-lock.sha256" want
    want=$(sha256sum "$ROOT/infra-cdk/package-lock.json" | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "npm ci in infra-cdk"
        (cd "$ROOT/infra-cdk" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in infra-cdk"
        echo "$want" >"$stamp"
    fi
}

# cargo-zigbuild (cargo install) and zig (the ziglang package from PyPI, found by
# cargo-zigbuild through `python3 -m ziglang` with the venv first on PATH).
ensure_zigbuild() {
    if ! command -v cargo-zigbuild >/dev/null; then
        log "installing cargo-zigbuild (cargo install)"
        cargo install --locked cargo-zigbuild >/dev/null || die "cargo install cargo-zigbuild failed"
    fi
    ensure_venv_package ziglang ziglang
    export PATH="$LOCAL/venv/bin:$PATH"
}
