"""
WSGI config for prescoring project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'prescoring.settings')

application = get_wsgi_application()


def _load_and_settle():
    """Import every view before the first request and leave what the process keeps to the collector's
    permanent generation (prescoring/gc_tuning.py)."""
    from django.urls import get_resolver

    from prescoring.gc_tuning import settle

    get_resolver().url_patterns  # noqa: B018 - imports every view module, DRF and the schema generator
    settle()


_load_and_settle()
