"""A task that does nothing: the baseline of fanout.py. Only the benchmark's workers load it
(`-I bench.noop`); it is routed to the default queue."""

from config.celery_app import app


@app.task(name="bench.noop", ignore_result=True)
def noop():
    """What is left is Celery's and Redis's own cost of one task."""
