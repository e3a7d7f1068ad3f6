from django.urls import path

from residence.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:person_id>/", views.detail, name="detail"),
    path("<int:person_id>/unmask/", views.unmask, name="unmask"),
]

# A resident's own pages, mounted at /me/ under the namespace "me".
resident_urlpatterns = ([
    path("", views.my_record, name="record"),
    path("login/", views.ResidentLoginView.as_view(), name="login"),
    path("signup/", views.resident_signup, name="signup"),
    path("signup/verify/", views.resident_verify, name="verify"),
], "me")
