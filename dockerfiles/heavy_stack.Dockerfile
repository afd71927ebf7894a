# The production image: a virtualenv built with uv from uv.lock, copied into a slim runtime.
#
#   make image        (docker build --file dockerfiles/heavy_stack.Dockerfile --tag heavy-stack:latest .)
#   docker run -p 8000:8000 -e HEAVY_STACK_SECRET_KEY=... -e HEAVY_STACK_SQL_DB_URL=postgresql://... heavy-stack
#
# It runs in PRODUCTION: it refuses to start without a secret key and a database URL, and never
# starts the embedded database. Migrations: `docker run ... heavy-stack alembic upgrade head`.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build

# uv comes from PyPI like every other package, at the version the lock was made with.
RUN pip install --no-cache-dir uv==0.13.9

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app

# The dependencies alone first: this layer is rebuilt only when the lock changes. The framework
# is a workspace member: uv reads its pyproject.toml to check the lock.
COPY pyproject.toml uv.lock ./
COPY heavy/pyproject.toml heavy/README.md heavy/LICENSE ./heavy/
RUN uv sync --locked --no-dev --no-install-workspace

# Then the framework and the project, installed editable (its static files are inside the
# package; the Brython modules are served from brython/; alembic/ is there for
# `alembic upgrade head`).
COPY README.md ./
COPY heavy ./heavy
COPY heavy_stack ./heavy_stack
COPY brython ./brython
COPY alembic ./alembic
COPY alembic.ini ./
RUN uv sync --locked --no-dev


FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

# A fixed numeric id, so that orchestrators can check it is not root (runAsNonRoot).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app
# Owned by root and read-only for the app user: the running app cannot change its own code.
COPY --from=build /app /app

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HEAVY_STACK_ENVIRONMENT=PRODUCTION \
    HEAVY_STACK_HOST=0.0.0.0 \
    HEAVY_STACK_PORT=8000

USER 10001:10001
EXPOSE 8000

# Liveness: the process answers. Not /readyz: a database outage must not get the app
# restarted (a restart would not bring the database back); the app recovers by itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['HEAVY_STACK_PORT']}/livez\", timeout=4)"]

CMD ["python", "-m", "heavy_stack"]
