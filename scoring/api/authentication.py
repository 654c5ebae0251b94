"""API authentication: `Authorization: Token <key>`, checked against the stored SHA-256 of the key.

The header is the one DRF's TokenAuthentication reads (and the 2023 service's clients send), but
the key itself is not stored (scoring.models.ApiToken): the lookup is by digest, and an expired
token is refused with its own message so that the integrator knows to ask for a new one.
"""
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from scoring.models import ApiToken, token_digest


class HashedTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=token_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Недействительный токен.")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("Срок действия токена истёк; попросите администратора выпустить новый.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("Пользователь отключён.")
        return token.user, token
