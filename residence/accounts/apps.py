from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "residence.accounts"
    label = "accounts"
    verbose_name = "Accounts"
