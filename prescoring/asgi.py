"""ASGI entry point (the image serves WSGI with gunicorn: prescoring/wsgi.py)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")

application = get_asgi_application()
