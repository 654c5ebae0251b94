# syntax=docker/dockerfile:1
# Build stage: wheels for every pinned dependency.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements/ requirements/
RUN python -m venv /venv && /venv/bin/pip install -r requirements/base.txt

# Runtime stage: the virtualenv and the code, run as an unprivileged user.
FROM python:3.11-slim
ENV PATH="/venv/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=prescoring.settings PRESCORING_STATIC_ROOT=/app/staticfiles \
    PRESCORING_STATIC_MANIFEST=1
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=app:app manage.py ./
COPY --chown=app:app prescoring/ prescoring/
COPY --chown=app:app scoring/ scoring/
COPY --chown=app:app templates/ templates/
COPY --chown=app:app static/ static/
COPY --chown=app:app configs/ configs/
RUN python manage.py collectstatic --noinput && chown -R app:app /app/staticfiles
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/health/ || exit 1
# gthread: some threads hold the API's ?wait= long polls (at most PRESCORING_API_WAIT_MAX_REQUESTS = 16 per
# process) while the others serve; 2 × 24 threads stay well within PostgreSQL's max_connections
# (one connection per thread, plus the Celery workers).
ENV PRESCORING_API_WAIT_MAX_REQUESTS=16
# The access log leaves out query strings and referrers (names and phones searched for): configs/gunicorn.conf.py.
CMD ["gunicorn", "prescoring.wsgi:application", "--config", "configs/gunicorn.conf.py", "--bind", "0.0.0.0:8000", \
     "--workers", "2", "--worker-class", "gthread", "--threads", "24"]
