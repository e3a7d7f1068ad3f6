"""WSGI entry of the bench's bare endpoint (`bare_api`), as config/wsgi.py is the project's."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from residence.bench.bare_api import BareHandler  # noqa: E402 - after Django is set up

application = BareHandler()
