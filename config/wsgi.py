import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from residence.core.collector import collector_tune  # noqa: E402 - after Django is set up

collector_tune()  # everything loaded so far lives as long as the server's process
