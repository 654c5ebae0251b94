"""The integration API's records: API clients with their callback URLs, webhook deliveries and
idempotency keys."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scoring.models.applications import Application


# --- the integration API --------------------------------------------------------------------------

def new_webhook_secret() -> str:
    return secrets.token_hex(32)


def new_token_key() -> str:
    """A new API token: 160 random bits as 40 hex digits."""
    return secrets.token_hex(20)


def token_digest(key: str) -> str:
    """What is stored of an API token: its SHA-256 (a token is 160 random bits: no salt needed)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ApiToken(models.Model):
    """An integrator's API token (`Authorization: Token <key>`), stored as its SHA-256 only: the key
    is shown once when issued (manage.py issue_token, or the admin), and a copy of the database
    gives nobody a working token. A token may expire (PRESCORING_API_TOKEN_DAYS)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("пользователь"))
    name = models.CharField(_("назначение"), max_length=100, blank=True)
    prefix = models.CharField(_("начало токена"), max_length=12, editable=False,
                              help_text=_("Первые символы, чтобы узнать токен; сам токен не хранится."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("выпущен"), auto_now_add=True)
    expires_at = models.DateTimeField(_("действует до"), null=True, blank=True,
                                      help_text=_("Пусто — бессрочно."))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("токен API")
        verbose_name_plural = _("токены API")

    def __str__(self):
        return f"{self.user} · {self.prefix}…"

    @classmethod
    def issue(cls, user, *, days: int | None = None, name: str = "") -> tuple["ApiToken", str]:
        """A new token for user: (the stored row, the key to hand over once). days: None for the
        setting's default, 0 for no expiry."""
        key = new_token_key()
        token = cls(user=user, name=name)
        token.set_key(key, days=days)
        token.save()
        return token, key

    def set_key(self, key: str, *, days: int | None = None) -> None:
        days = settings.PRESCORING_API["TOKEN_DAYS"] if days is None else days
        self.prefix, self.key_hash = key[:8], token_digest(key)
        self.expires_at = timezone.now() + timedelta(days=days) if days else None


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
