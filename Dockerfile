# One image for every process of the service: the web app (the default command), `billing worker`,
# `billing scheduler`, `billing db upgrade` and `billing gateway-sim` (deploy/compose.yaml runs them all).
#   docker build -t bpu-autodebit .
#   docker run -p 8000:8000 -e BILLING_DATABASE_URL=postgresql+psycopg://… -e BILLING_SECRET_KEY=… bpu-autodebit
# Migrations are a step of their own (`docker run … bpu-autodebit billing db upgrade`), not part of start-up:
# with several replicas each would race to migrate.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Builder: the locked dependencies and the wheel, installed into a virtualenv that is copied whole.
FROM ${PYTHON_IMAGE} AS builder
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Every file is checked against the lock's hashes, and only wheels are taken (nothing is compiled here).
COPY deploy/requirements.lock deploy/build-requirements.lock deploy/
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --only-binary=:all: -r deploy/requirements.lock \
    && python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --only-binary=:all: -r deploy/build-requirements.lock
# A normal (not editable) wheel built by the locked backend, without fetching one (--no-build-isolation).
# It carries sql/ (migrations, report queries) as package data, so nothing runs from a source tree.
COPY pyproject.toml README.md ./
COPY billing ./billing
COPY schedulers ./schedulers
COPY sql ./sql
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /tmp/dist . \
    && /opt/venv/bin/pip install --no-deps --no-index /tmp/dist/*.whl

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    BILLING_LOG_JSON=true \
    PROMETHEUS_MULTIPROC_DIR=/run/billing/metrics

# Headless Chromium prints the reports' PDFs (billing/reports/pdf.py) with fonts-liberation's fonts;
# tzdata gives zoneinfo Asia/Jakarta, the schedule's timezone.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-liberation tzdata \
    && rm -rf /var/lib/apt/lists/*

# /app/instance holds the default SQLite database (for a try-out; use PostgreSQL for anything real) and
# /run/billing/metrics gunicorn's per-worker metric files: both the runtime user's own.
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin billing \
    && install -d -o billing -g billing /app /app/instance /run/billing/metrics

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Numeric, so a platform that checks runAsNonRoot can tell without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000

# Liveness, not readiness: a database outage makes /readyz answer 503, and an orchestrator that restarts
# "unhealthy" containers would then restart every web container, which mends nothing. Readiness (/readyz)
# is for whoever routes traffic or waits on the service (deploy/compose.yaml's depends_on).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

# gunicorn is PID 1 (exec form), so it gets SIGTERM itself and stops gracefully. Its settings
# (workers from BILLING_WEB_WORKERS, bind from BILLING_BIND, worker class, timeouts) are in billing/gunicorn_conf.py.
CMD ["gunicorn", "-c", "python:billing.gunicorn_conf", "billing.wsgi:app"]
