from django.urls import path

from residence.registrations import views

app_name = "registrations"
urlpatterns = [
    path("import/", views.resident_import, name="import"),
    path("mine/", views.residents_mine, name="mine"),
    path("mine/upload/", views.residents_upload, name="mine_upload"),
    path("mine/<int:registration_id>/departure/", views.departure, name="departure"),
    path("declare/", views.self_declare, name="self_declare"),
    path("pending/", views.pending, name="pending"),
    path("<int:registration_id>/", views.detail, name="detail"),
    path("<int:registration_id>/correct/", views.correct, name="correct"),
    path("<int:registration_id>/cancel/", views.cancel, name="cancel"),
    path("<int:registration_id>/confirm/", views.confirm, name="confirm"),
    path("<int:registration_id>/door/", views.door_check, name="door_check"),
    path("person/<int:person_id>/arrival/", views.person_arrival, name="person_arrival"),
    path("<int:registration_id>/certificate/", views.certificate, name="certificate"),
]

# Pages under /places/ that list residents: joined to places' own patterns in config/urls.py, one "places" namespace.
place_urlpatterns = [
    path("building/<str:address_code>/", views.building, name="building"),
    path("unit/<int:unit_id>/", views.unit, name="unit"),
]
