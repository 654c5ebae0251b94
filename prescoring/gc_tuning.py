"""Garbage collection in the long-running processes (gunicorn workers, Celery workers).

Python's cyclic collector stops every thread of a process while it walks the objects it tracks.
A web process holds a few hundred thousand objects that live as long as it does (Django, DRF, the
URL configuration, the questionnaire's phrases); walked on every full collection, they made each
one take 150–300 ms, every few seconds under load: all fifty threads of the process stood still
meanwhile, and the waiting requests came out in a burst (measured with bench/load.py). Once
the process has loaded what it keeps, `settle()` moves those objects to the permanent generation,
which the collector skips; a full collection then walks only what requests and tasks created.
"""
import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
