from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from residence.core import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("jobs/<int:job_id>/progress/", views.job_progress, name="job_progress"),
    # Pages name the SVG icon; clients that ask for /favicon.ico by habit are sent to it.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True), name="favicon"),
]
