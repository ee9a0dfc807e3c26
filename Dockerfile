FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
# The hash-pinned lock (`make lock` regenerates it from pyproject.toml): the image gets exactly the
# versions CI tested, and a tampered download fails the build.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY . .
# Production settings refuse to start without DATABASE_URL and REDIS_URL; collectstatic touches
# neither, so the build gives it placeholders that live only in this one command.
RUN pip install --no-cache-dir --no-deps . \
    && DJANGO_SECRET_KEY=build-only DATABASE_URL=sqlite:///build-only.sqlite3 \
       REDIS_URL=redis://build-only:6379/0 python manage.py collectstatic --noinput
# Not root: a compromised worker cannot rewrite the code or the installed packages. The app user
# owns only what it writes: uploads, collected static files (the migrate service refreshes them)
# and beat's schedule; named volumes take these owners when first created.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app \
    && mkdir -p /data/media /data/beat \
    && chown -R app:app /data/media /data/beat /app/staticfiles
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--config", "python:config.gunicorn"]
