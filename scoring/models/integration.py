"""The integration API's records: API clients with their callback URLs, webhook deliveries and
idempotency keys."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring.models.applications import Application


# --- the integration API --------------------------------------------------------------------------

def new_webhook_secret() -> str:
    import secrets

    return secrets.token_hex(32)


class ApiClient(models.Model):
    """An integrator's settings: where to send scoring results and the secret that signs them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_client",
                                verbose_name=_("пользователь"))
    callback_url = models.URLField(_("адрес для уведомлений"), max_length=500, blank=True,
                                   help_text=_("Сюда отправляется результат оценки (POST, JSON). Пусто — не отправлять."))
    secret = models.CharField(_("секрет подписи"), max_length=128, default=new_webhook_secret,
                              help_text=_("Ключ HMAC-SHA256 для заголовка X-Prescoring-Signature."))
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta:
        verbose_name = _("клиент API")
        verbose_name_plural = _("клиенты API")

    def __str__(self):
        return str(self.user)


class WebhookDelivery(models.Model):
    """One notification about a scored application, with every attempt to deliver it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("отправляется")
        DELIVERED = "delivered", _("доставлено")
        FAILED = "failed", _("не доставлено")

    api_client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="deliveries",
                                   verbose_name=_("клиент API"))
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="webhook_deliveries",
                                    verbose_name=_("заявка"))
    url = models.URLField(_("адрес"), max_length=500)
    payload = models.JSONField(_("тело"))
    status = models.CharField(_("статус"), max_length=16, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    response_status = models.PositiveSmallIntegerField(_("код ответа"), null=True, blank=True)
    last_error = models.TextField(_("последняя ошибка"), blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("доставлено"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("уведомление")
        verbose_name_plural = _("журнал уведомлений")

    def __str__(self):
        return f"{self.application_id} → {self.url}: {self.status}"


class IdempotencyKey(models.Model):
    """A POST made with an Idempotency-Key header, and the response it got, to repeat it on a retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")]

    def __str__(self):
        return self.key
