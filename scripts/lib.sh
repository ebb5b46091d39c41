# Shared by scripts/start and scripts/test: find Python 3.12+, build .venv, reach PostgreSQL.

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3 \
      /root/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3 \
      /usr/local/bin/python3.1[23] /usr/bin/python3.1[23]; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.12 or newer is needed (Django 6); set PYTHON=/path/to/python3.12" >&2
  return 1
}

ensure_venv() {
  local python stamp=.venv/.installed
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    python=$(find_python)
    rm -rf .venv
    "$python" -m venv .venv
  fi
  # Reinstall only when the dependency list changed.
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[dev]"
    touch "$stamp"
  fi
  ensure_messages
}

# Compile the apps' translations (.po -> .mo, build output, not committed) when a .po is
# newer than its .mo. Django's compilemessages needs GNU gettext's msgfmt.
ensure_messages() {
  local po stale=
  for po in integrations/locale/*/LC_MESSAGES/django.po; do
    [ -f "${po%.po}.mo" ] && [ ! "$po" -nt "${po%.po}.mo" ] || stale=1
  done
  [ -n "$stale" ] || return 0
  if ! command -v msgfmt >/dev/null 2>&1; then
    echo "Installing gettext (msgfmt) from Debian's packages to compile translations" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; } ||
      { echo "gettext is missing: notifications will be in English only" >&2; return 0; }
  fi
  (cd integrations && ../.venv/bin/python ../manage.py compilemessages --verbosity 0)
}

ensure_postgres() {
  local host=${PGHOST:-127.0.0.1} port=${PGPORT:-5432}
  if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then return 0; fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "PostgreSQL is not installed; installing it from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  echo "Starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h "$host" -p "$port" && return 0
    sleep 1
  done
  echo "PostgreSQL is not reachable on $host:$port" >&2
  return 1
}

port_open() {  # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for_port() {  # name host port seconds
  for _ in $(seq 1 "$4"); do
    port_open "$2" "$3" && return 0
    sleep 1
  done
  echo "$1 is not reachable on $2:$3" >&2
  return 1
}

# The tests of events, sockets, throttles and jobs use the real Redis and RabbitMQ on
# this machine: start them (installing Debian's packages if need be) when they are down.
ensure_redis() {
  port_open 127.0.0.1 6379 && return 0
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not installed; installing it from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  echo "Starting Redis" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  wait_for_port Redis 127.0.0.1 6379 30
}

ensure_rabbitmq() {
  port_open 127.0.0.1 5672 && return 0
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "RabbitMQ is not installed; installing it from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  echo "Starting RabbitMQ" >&2
  rabbitmq-server -detached || true
  wait_for_port RabbitMQ 127.0.0.1 5672 90
}
