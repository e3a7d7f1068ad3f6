from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "residence.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from residence.accounts import selectors, signals
        from residence.audit.subjects import subject_register

        signals.connect()  # log-ins, failures, lockouts and log-outs on the audit trail
        subject_register("user", names=selectors.accounts_named, exists=selectors.account_exists,
                         unnamed=_("an account"), noun=_("an account"), url_kwarg="user_id")
        subject_register("api_client", names=selectors.api_clients_named, exists=selectors.api_client_exists,
                         unnamed=_("a department client"), noun=_("a department client"))
