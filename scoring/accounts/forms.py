"""The login form: says plainly when a username is locked out instead of "wrong password"."""
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from scoring.accounts.lockout import is_locked_out


class LockoutAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked_out": _("Слишком много неудачных попыток входа. Попробуйте снова через %(minutes)s мин."),
    }

    def clean(self):
        from django.conf import settings

        username = self.cleaned_data.get("username")
        if username and is_locked_out(username, self.request):
            raise ValidationError(self.error_messages["locked_out"], code="locked_out",
                                  params={"minutes": settings.LOGIN_LOCKOUT["SECONDS"] // 60})
        return super().clean()
