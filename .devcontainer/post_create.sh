#!/usr/bin/env bash
# Runs once, when the dev container is created: dependencies, .env, the time-tracking secret.
set -euo pipefail
cd "$(dirname "$0")/.."

make install

if [ ! -f .env ]; then
    cp .env.example .env
    echo "Created .env from .env.example: adjust it there (VS Code may need a window reload)."
fi

# ptyme-track signs the time it records with a secret of this clone (.ptyme.secret, git-ignored).
.venv/bin/ptyme-track --ensure-secret
