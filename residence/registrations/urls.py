from django.urls import path

from residence.registrations import views

app_name = "registrations"
urlpatterns = [
    path("import/", views.resident_import, name="import"),
]
