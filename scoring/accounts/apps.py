from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Who may sign in and do what: login with lockout, the roles, the permission cache."""

    name = "scoring.accounts"
    label = "accounts"
    verbose_name = "Учётные записи"

    def ready(self):
        from scoring.accounts import lockout

        lockout.connect()
