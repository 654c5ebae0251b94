"""Micro-batching of a Celery task's messages in the worker (issue 18).

A task with `base=BatchedTask` is run as usual where it is called eagerly (the embedded default)
or applied directly. In a worker, its messages are gathered instead of being run one by one: while
they keep coming (until a quiet gap), for at most a set time after the first, or until a set number
have come (batch_limits), then `run_batch` gets them all in one call in the worker's pool (the solo pool: in the worker
process; prefork: in a child). Each message is acknowledged after `run_batch` returns, that is after
its work is stored, so a worker killed in the middle of a batch leaves every message of it
unacknowledged (late acknowledgement, as the task's other deliveries have). A message whose countdown
(a retry) is not due waits in the worker's timer and joins a batch when it is.

Why not celery-batches: its 0.11 needs celery < 5.7, and it hands the task Celery's request objects,
whose building is a good part of what a message costs; the gathering here is what this project needs
of it and nothing more. A batch size of 1 leaves Celery's own strategy in place.

The worker must be allowed to hold a batch's messages unacknowledged: settings set Celery's prefetch
multiplier to the batch size.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from time import monotonic

from celery import Task
from celery.worker.strategy import default as default_strategy

log = logging.getLogger(__name__)

# What run_batch says of each message, in order: acknowledge it, or give it back to the queue.
ACK, REQUEUE = "ack", "requeue"


class Item:
    """One message of a batch as run_batch gets it: the task's arguments, its retry count, its id, and
    where it was delivered from (a retry goes back there). Plain data, so that the prefork pool can send
    it to a child."""

    __slots__ = ("args", "exchange", "kwargs", "retries", "routing_key", "task_id")

    def __init__(self, args, kwargs, retries=0, task_id=None, exchange="", routing_key=None):
        self.args, self.kwargs, self.retries, self.task_id = tuple(args), dict(kwargs), int(retries), task_id
        self.exchange, self.routing_key = exchange, routing_key

    def __getstate__(self):
        return self.args, self.kwargs, self.retries, self.task_id, self.exchange, self.routing_key

    def __setstate__(self, state):
        self.args, self.kwargs, self.retries, self.task_id, self.exchange, self.routing_key = state

    def retry_options(self) -> dict:
        """apply_async's options that send the task back where it came from, one retry more (as
        Celery's Task.retry does)."""
        options = {"retries": self.retries + 1}
        if self.routing_key:
            options.update(exchange=self.exchange or "", routing_key=self.routing_key)
        return options

    def __repr__(self):
        return f"Item({self.args!r}, {self.kwargs!r}, retries={self.retries})"


class BatchedTask(Task):
    """A task whose worker runs its messages in batches; subclasses define batch_limits and run_batch."""

    abstract = True

    def batch_limits(self) -> tuple[int, float, float]:
        """(the most messages in one batch, the longest the first waits for others, the quiet gap after
        the last that ends the batch sooner), the times in seconds."""
        return 1, 0.0, 0.0

    def run_batch(self, items: list[Item]) -> list[str]:
        """Do the work of every message, in one go where possible; return ACK or REQUEUE for each.
        Must not raise: what it cannot do for a message it says per message."""
        raise NotImplementedError

    def Strategy(self, task, app, consumer, **kwargs):  # noqa: N802 - Celery's name for it
        size, wait, gap = task.batch_limits()
        if size <= 1:
            return default_strategy(task, app, consumer, **kwargs)
        return Gatherer(task, consumer, size=size, wait=wait, gap=gap).on_message


def run_batch(task_name: str, items: list[Item]) -> list[str]:
    """The pool's target: the task's run_batch, in the process the pool runs it in."""
    from celery import current_app

    return current_app.tasks[task_name].run_batch(items)


class Gatherer:
    """The consumer's side: gathers a task's messages and hands them to the pool in batches.

    Runs in the consumer's event loop (one thread): the handler and the timer's calls never overlap.
    """

    def __init__(self, task, consumer, *, size: int, wait: float, gap: float):
        # The consumer's pool, timer and QoS are read when used: the strategies are made before the
        # consumer has its QoS (it was None here when the first retry with a countdown came).
        self.task, self.consumer = task, consumer
        self.size, self.wait, self.gap = size, wait, gap
        self.first_at = 0.0
        self.errors = consumer.connection_errors  # what acknowledging may raise, logged not raised
        self.pending: list[tuple[Item, object, object]] = []  # (item, ack, reject)
        self.flush_entry = None
        self.time_limit = task.time_limit or task.app.conf.task_time_limit

    def on_message(self, message, body, ack, reject, callbacks, **kwargs):
        headers = message.headers or {}
        try:
            args, task_kwargs, _embed = message.decode()
            delivery = message.delivery_info or {}
            item = Item(args, task_kwargs, headers.get("retries") or 0, headers.get("id"),
                        delivery.get("exchange") or "", delivery.get("routing_key"))
        except Exception:  # noqa: BLE001 - a message nobody can run: say so and drop it
            log.exception("dropping a malformed %s message (headers %r)", self.task.name, headers)
            reject(log, self.errors, False)
            return
        delay = _seconds_until(headers.get("eta"))
        if delay > 0:
            # Not due yet (a retry's countdown): it waits in the timer, outside the prefetch limit, as
            # Celery's own strategy does with such a message.
            self.consumer.qos.increment_eventually()
            self.consumer.timer.call_after(delay, self._due, (item, ack, reject), priority=6)
            return
        self._add(item, ack, reject)

    def _due(self, item, ack, reject):
        self.consumer.qos.decrement_eventually()
        self._add(item, ack, reject)

    def _add(self, item, ack, reject):
        self.pending.append((item, ack, reject))
        if len(self.pending) >= self.size:
            self.flush()
            return
        # Gather while messages keep coming: flush after a quiet gap, and at the latest `wait` after the
        # first. A queue with a backlog hands them over one by one within a fraction of a millisecond,
        # so a fixed short wait would cut its batches small; an application alone waits only the gap.
        now = monotonic()
        if len(self.pending) == 1:
            self.first_at = now
        elif self.flush_entry is not None:
            self.flush_entry.cancel()
        self.flush_entry = self.consumer.timer.call_after(min(self.gap, self.first_at + self.wait - now), self.flush,
                                                 priority=5)

    def flush(self):
        if self.flush_entry is not None:
            self.flush_entry.cancel()
            self.flush_entry = None
        batch, self.pending = self.pending, []
        if not batch:
            return
        self.consumer.pool.apply_async(
            run_batch, args=(self.task.name, [item for item, _ack, _reject in batch]),
            callback=lambda outcomes: self._settle(batch, outcomes),
            error_callback=lambda exc_info: self._give_back(batch, exc_info),
            timeout=self.time_limit,
        )

    def _settle(self, batch, outcomes):
        if not isinstance(outcomes, list) or len(outcomes) != len(batch):  # the solo pool's WorkerLostError
            self._give_back(batch, outcomes)
            return
        for (_item, ack, reject), outcome in zip(batch, outcomes, strict=True):
            if outcome == REQUEUE:
                reject(log, self.errors, True)
            else:
                ack(log, self.errors)

    def _give_back(self, batch, exc_info):
        """The batch's process was lost (killed, or over the time limit): its messages go back to the
        queue for another delivery, as Celery does for a task whose worker is lost (reject_on_worker_lost)."""
        log.error("a batch of %d was not finished (%r); its messages go back to the queue", len(batch),
                  getattr(exc_info, "exception", exc_info))
        for _item, _ack, reject in batch:
            reject(log, self.errors, True)


def _seconds_until(eta) -> float:
    if not eta:
        return 0.0
    try:
        when = datetime.fromisoformat(eta)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - datetime.now(timezone.utc)).total_seconds()
