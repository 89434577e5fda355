# Production image: gunicorn serving Django; the same image runs the Celery worker and beat (docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY campaign/__init__.py campaign/__init__.py
RUN pip install --upgrade pip && pip install .

COPY . .
RUN pip install --no-deps . \
 && DEBUG=0 STATIC_ROOT=/app/var/static ALLOWED_HOSTS=build SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-xx \
    DATABASE_URL=postgres://build@localhost/build VOUCHER_MAC_KEYS=BUILD:00000000000000000000000000000000 \
    python manage.py collectstatic --noinput \
 && useradd --system --home /app jimukyoku \
 && mkdir -p /app/var/media && chown -R jimukyoku /app/var

USER jimukyoku
ENV DEBUG=0 STATIC_ROOT=/app/var/static MEDIA_ROOT=/app/var/media
EXPOSE 8000
CMD ["gunicorn", "campaign.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
