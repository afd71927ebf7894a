#!/usr/bin/env bash
# Runs each time the dev container starts: time tracking (ptyme-track) in the background.
# `bash .devcontainer/time_tracking.sh stop` stops it; docs/developing.md says how to keep the time.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .devcontainer/time_tracking.sh start
