"""The permits' pages, one module of views per part of the work (each lists its own `urls`)."""

from residence.permits import lifecycle_views, production_views, views

app_name = "permits"
urlpatterns = [*views.urls, *production_views.urls, *lifecycle_views.urls]
