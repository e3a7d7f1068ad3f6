from django.urls import path

from residence.stays import views

app_name = "stays"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("<int:stay_id>/check-out/", views.check_out, name="check_out"),
]
