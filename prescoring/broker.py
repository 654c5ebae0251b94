"""Kombu's Redis transport, with one Redis client per channel for the commands sent outside the
worker's event loop (publishing a task, acknowledging a message, restoring one) instead of a new
client for every command.

Kombu builds a `redis.Redis` for each of those commands, and a client sets up some 170 response
callbacks as it is built: a profile of the API submission found that a twentieth of the request's
CPU. The client kept here uses the channel's own connection pool, as kombu's would, and is built
anew when the channel gets a new pool (after a lost connection). redis-py clients are safe to share
between threads: each command takes a connection from the pool.

Used for `redis://` brokers (settings.CELERY_BROKER_TRANSPORT); a `rediss://` broker keeps kombu's
own transport, whose TLS defaults depend on the URL's scheme.
"""
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _reused_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:  # the event loop's clients (BRPOP, pub/sub) are made once already
            return super()._create_client(asynchronous=True)
        client = self._reused_client
        if client is None or client.connection_pool is not self.pool:
            client = self._reused_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
