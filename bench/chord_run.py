"""One scheduled run over every county through real Celery workers (bench/growth.py starts them):
waits until `workers` workers answer, sends the run's task, and prints one JSON line with the wall
time from sending it to its chord's summary (every county's task and the callback done).

    REDIS_URL=redis://…/12 python bench/chord_run.py <dropout.tasks.daily_dropout_run> <workers>
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

import django  # noqa: E402

django.setup()

from celery.result import AsyncResult  # noqa: E402

from config.celery import app  # noqa: E402


def main():
    task_name, workers = sys.argv[1], int(sys.argv[2])
    if app.conf.task_always_eager:
        raise SystemExit("REDIS_URL is not set: the run would not go through the workers")
    deadline = time.monotonic() + 120
    while len(app.control.ping(timeout=1.0)) < workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"fewer than {workers} workers answered within 120 s")
    started = time.perf_counter()
    dispatched = app.send_task(task_name).get(timeout=600)
    summary = AsyncResult(dispatched["summary"], app=app).get(timeout=3600)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "summary": summary}))


if __name__ == "__main__":
    main()
