# The billing API: gunicorn on port 8000, as a non-root user, migrating the database at start.
#   docker build -t bpu-autodebit .
#   docker run -p 8000:8000 -e BILLING_DATABASE_URL=postgresql+psycopg://… -e BILLING_SECRET_KEY=… bpu-autodebit
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin billing

# Headless Chromium prints the reports' PDFs (billing/reports/pdf.py); fonts-liberation gives it fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, in their own layer: a source change does not reinstall them. The stub package
# only carries the dependency list; it is replaced below.
WORKDIR /tmp/src
COPY pyproject.toml README.md ./
RUN mkdir -p billing schedulers sql && touch billing/__init__.py schedulers/__init__.py \
    && pip install . \
    && pip uninstall -y bpu-autodebit

# A normal (not editable) install of the wheel: it carries sql/ (migrations, report queries) as package
# data, so nothing runs from a source tree.
COPY billing ./billing
COPY schedulers ./schedulers
COPY sql ./sql
RUN pip install --no-deps . && cd / && rm -rf /tmp/src

WORKDIR /app

# The default SQLite database lives here; the app user must be able to write it.
RUN mkdir -p /app/instance && chown billing:billing /app/instance

USER billing

ENV BILLING_LOG_JSON=true
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

# exec: gunicorn replaces the shell as PID 1, so it gets SIGTERM itself and stops gracefully.
CMD ["sh", "-c", "billing db upgrade && exec gunicorn -k billing.server.ProblemWorker 'billing.wsgi:app' -b 0.0.0.0:8000"]
