#!/usr/bin/env bash
# A private MariaDB server for the tests: `start` (installs it if needed) or `stop`.
# Data lives in .mariadb/ and the server listens on 127.0.0.1 only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${MARIADB_DIR:-$root/.mariadb}
port=${MARIADB_PORT:-33306}
sock=$dir/mysqld.sock
user=$(id -un)

ping() { mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1; }

start() {
  [ -x /usr/sbin/mariadbd ] || "$root/tools/ensure-debs.sh" mariadb-server
  ping && return 0
  mkdir -p "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --no-defaults --user="$user" --datadir="$dir/data" \
      --auth-root-authentication-method=socket >"$dir/install.log" 2>&1
  fi
  # setsid: the server outlives this script (make runs each line in its own shell).
  setsid /usr/sbin/mariadbd --no-defaults --user="$user" --datadir="$dir/data" \
    --socket="$sock" --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
    --log-error="$dir/error.log" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 60); do ping && break; sleep 1; done
  ping || { echo "MariaDB did not start; see $dir/error.log" >&2; tail -20 "$dir/error.log" >&2; exit 1; }
  mariadb --socket="$sock" -uroot <<SQL
CREATE USER IF NOT EXISTS 'mc'@'127.0.0.1' IDENTIFIED BY 'mc';
GRANT ALL ON \`member_confirm_test%\`.* TO 'mc'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS member_confirm_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
  echo "MariaDB ready on 127.0.0.1:$port"
}

stop() {
  ping || return 0
  mariadb-admin --socket="$sock" -uroot shutdown
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
