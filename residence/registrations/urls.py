from django.urls import path

from residence.registrations import views

app_name = "registrations"
urlpatterns = [
    path("import/", views.resident_import, name="import"),
    path("mine/", views.residents_mine, name="mine"),
    path("mine/upload/", views.residents_upload, name="mine_upload"),
    path("mine/<int:registration_id>/departure/", views.departure, name="departure"),
]

# Pages under /places/ that list residents: joined to places' own patterns in config/urls.py, one "places" namespace.
place_urlpatterns = [
    path("building/<str:address_code>/", views.building, name="building"),
    path("unit/<int:unit_id>/", views.unit, name="unit"),
]
