from django.urls import path

from residence.employment import views

app_name = "employment"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("mine/<int:employment_id>/separation/", views.separation, name="separation"),
    path("mine/upload/", views.upload, name="upload"),
    path("evidence/<int:person_id>/", views.evidence_add, name="evidence_add"),
    path("evidence/<int:evidence_id>/withdraw/", views.evidence_remove, name="evidence_withdraw"),
]
