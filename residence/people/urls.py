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
    path("signup/", views.resident_code_start, {"flow": "signup"}, name="signup"),
    path("signup/code/", views.resident_code_finish, {"flow": "signup"}, name="signup_code"),
    path("reset/", views.resident_code_start, {"flow": "reset"}, name="reset"),
    path("reset/code/", views.resident_code_finish, {"flow": "reset"}, name="reset_code"),
], "me")
