from django.urls import path

from residence.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:person_id>/", views.detail, name="detail"),
    path("<int:person_id>/unmask/", views.unmask, name="unmask"),
]
