#!/usr/bin/env bash
# Time tracking by file changes (ptyme-track), in the background while the container runs.
#   bash .devcontainer/time_tracking.sh start    (post_start.sh runs it on each container start)
#   bash .devcontainer/time_tracking.sh stop
#   bash .devcontainer/time_tracking.sh status
# Every two minutes it records a signed time in .ptyme_track/.cur_times (git-ignored) when files
# changed. To keep your time, move it into the file you commit (docs/developing.md):
#   .venv/bin/ptyme-track --cement YOUR_NAME     (appends to .ptyme_track/YOUR_NAME)
set -euo pipefail
cd "$(dirname "$0")/.."

pid_file=.data/ptyme-track.pid
log_file=.data/ptyme-track.log

running_pid() {
    # The recorded process, if it is still ptyme-track (a pid can be reused after a restart).
    [ -f "$pid_file" ] || return 1
    local pid
    pid=$(cat "$pid_file")
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q ptyme-track \
        && echo "$pid"
}

start() {
    if pid=$(running_pid); then
        echo "Time tracking is already on (ptyme-track, pid $pid)."
        return 0
    fi
    mkdir -p .data
    # The secret that signs the recorded times (.ptyme.secret, git-ignored); made once per clone.
    .venv/bin/ptyme-track --ensure-secret
    # Hidden folders (.venv, .data, .git) are never watched; these are generated too.
    PTYME_IGNORED_DIRS="node_modules:__pycache__:test-artifacts:recordings" \
        nohup .venv/bin/ptyme-track --standalone >"$log_file" 2>&1 &
    echo $! >"$pid_file"
    echo "Time tracking is on (ptyme-track, pid $!, log in $log_file)."
}

stop() {
    if pid=$(running_pid); then
        kill "$pid"
        # Bounded wait: ptyme-track sleeps between scans, and SIGTERM ends that sleep.
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        echo "Time tracking is off."
    else
        echo "Time tracking was not on."
    fi
    rm -f "$pid_file"
}

status() {
    if pid=$(running_pid); then
        echo "Time tracking is on (ptyme-track, pid $pid)."
    else
        echo "Time tracking is off."
        return 3
    fi
}

case "${1:-}" in
    start | stop | status) "$1" ;;
    *)
        echo "usage: bash .devcontainer/time_tracking.sh start|stop|status" >&2
        exit 2
        ;;
esac
