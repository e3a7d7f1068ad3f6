from django.urls import path

from residence.workbench import views

app_name = "workbench"
urlpatterns = [path("", views.home, name="home")]
