#!/usr/bin/env bash
# Runs each time the dev container starts: ptyme-track records working time in the background,
# from file changes. `.venv/bin/ptyme-track --cement YOUR_NAME` moves it to .ptyme_track/YOUR_NAME,
# the file to commit.
set -euo pipefail
cd "$(dirname "$0")/.."

pid_file=.data/ptyme-track.pid
mkdir -p .data
if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    echo "Time tracking is already on."
    exit 0
fi

# Hidden folders (.venv, .data, .git) are never watched; these are generated too.
export PTYME_IGNORED_DIRS="node_modules:__pycache__:test-artifacts:recordings"
nohup .venv/bin/ptyme-track --standalone >.data/ptyme-track.log 2>&1 &
echo $! >"$pid_file"
echo "Time tracking is on (ptyme-track, log in .data/ptyme-track.log)."
