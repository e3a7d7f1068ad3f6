"""The permits' pages, one module of views per part of the work (each lists its own `urls`)."""

from django.urls import path

from residence.permits import lifecycle_views, production_views, views
from residence.permits.epermit.views import epermit_mine, epermit_page, status_list_view

app_name = "permits"
urlpatterns = [*views.urls, *production_views.urls, *lifecycle_views.urls,
               path("status-list", status_list_view, name="status_list"),
               path("epermit/", epermit_page, name="epermit"),
               path("epermit/mine/", epermit_mine, name="epermit_mine")]
