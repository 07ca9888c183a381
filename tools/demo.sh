#!/usr/bin/env bash
# `make demo`: the web app, one outbox sender and the reminder scheduler, side by side.
# Ctrl-C (or SIGTERM, or any one of them exiting) stops all three; each finishes what it has
# in hand (the sender its message, the scheduler its running job) before leaving.
set -uo pipefail
BIN=${BIN:-.venv/bin}
HOST=${DEMO_HOST:-127.0.0.1}
PORT=${DEMO_PORT:-5000}
# Demo mode: keys generated into instance/, the /console page, the cookie over plain http.
export FLASK_DEMO=1
# Links in the messages (the /console page shows them as sent) point where the demo is served;
# a server listening on every address is reached locally at 127.0.0.1.
case "$HOST" in 0.0.0.0|::|'[::]') LINK_HOST=127.0.0.1 ;; *) LINK_HOST=$HOST ;; esac
export FLASK_PUBLIC_BASE_URL=${FLASK_PUBLIC_BASE_URL:-http://$LINK_HOST:$PORT}
# Real members get no card between 21:00 and 08:00; a demo is tried at any hour.
export FLASK_NOTIFY_QUIET_HOURS=${FLASK_NOTIFY_QUIET_HOURS-}

pids=()
stop() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    wait
    echo "演示已停止（网页、发送进程、提醒调度进程均已退出）。"
}
trap stop INT TERM EXIT

"$BIN/flask" --app service outbox drain --worker-id demo-sender & pids+=($!)
"$BIN/flask" --app service scheduler run & pids+=($!)
"$BIN/flask" --app service run --host "$HOST" --port "$PORT" & pids+=($!)
echo "演示已启动：$FLASK_PUBLIC_BASE_URL/ （后台 /admin/，消息见 /console）。按 Ctrl-C 结束。"
wait -n
