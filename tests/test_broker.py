"""The broker transport (prescoring/broker.py): kombu's Redis transport with one client per channel
for publishing and acknowledging, against the machine's Redis; the settings choose it for redis://."""
import os
import subprocess
import sys
import uuid

from django.conf import settings
from kombu import Connection

from prescoring.broker import Channel, Transport

REDIS = "redis://127.0.0.1:6379/13"
SETTINGS_TRANSPORT = "from django.conf import settings; print(getattr(settings, 'CELERY_BROKER_TRANSPORT', None))"


def _transport_for(broker_url: str) -> str:
    env = {**os.environ, "CELERY_BROKER_URL": broker_url, "DJANGO_SETTINGS_MODULE": "prescoring.settings",
           "PRESCORING_SECRET_KEY": "s" * 60}
    return subprocess.run([sys.executable, "-c", f"import django; django.setup(); {SETTINGS_TRANSPORT}"],
                          cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_the_settings_choose_it_for_a_redis_broker_only():
    assert _transport_for("redis://127.0.0.1:6379/0") == "prescoring.broker:Transport"
    # rediss:// keeps kombu's transport: its TLS defaults are chosen by the URL's scheme.
    assert _transport_for("rediss://127.0.0.1:6380/0") == "None"


def test_messages_go_through_one_client_per_channel():
    queue = f"broker-test-{uuid.uuid4().hex[:8]}"
    with Connection(REDIS, transport=Transport) as connection:
        channel = connection.default_channel
        assert isinstance(channel, Channel)
        first = channel._create_client()
        with connection.SimpleQueue(queue) as simple:
            for n in range(3):
                simple.put({"n": n})
            received = []
            for _ in range(3):
                message = simple.get(timeout=5)
                received.append(message.payload["n"])
                message.ack()
            assert received == [0, 1, 2]
            assert first.llen(queue) == 0
        assert channel._create_client() is first and first.connection_pool is channel.pool
        # The event loop's client is kombu's own.
        assert channel._create_client(asynchronous=True) is not first

        channel._pool = None  # as after a lost connection: the channel makes a new pool
        again = channel._create_client()
        assert again is not first and again.connection_pool is channel.pool
        again.delete(queue)
