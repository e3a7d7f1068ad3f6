from django.urls import path

from residence.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("otp/", views.otp, name="otp"),
    path("password/", views.password_with_code, name="password_code"),
]

manage_urlpatterns = [
    path("accounts/", views.manage_accounts, name="accounts"),
    path("accounts/new/", views.manage_account_new, name="account_new"),
    path("accounts/<str:username>/", views.manage_account, name="account"),
    path("accounts/<str:username>/password-code/", views.manage_password_code, name="password_code"),
    path("accounts/<str:username>/<slug:action>/", views.manage_account_action, name="account_action"),
    path("clients/", views.manage_clients, name="clients"),
    path("clients/new/", views.manage_client_new, name="client_new"),
    path("clients/<int:client_id>/<slug:action>/", views.manage_client_action, name="client_action"),
]
