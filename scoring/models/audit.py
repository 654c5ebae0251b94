"""The audit log: who changed what, when, before and after."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who changed what, when, with the state before and after (or who viewed personal data)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("кто"))
    action = models.CharField(_("действие"), max_length=32, db_index=True,
                              help_text=_("create, update, delete, activate, rollback, view_personal_data…"))
    object_type = models.CharField(_("тип объекта"), max_length=64, db_index=True)
    object_id = models.CharField(_("объект"), max_length=64, blank=True)
    object_repr = models.CharField(_("название"), max_length=200, blank=True)
    before = models.JSONField(_("до"), null=True, blank=True)
    after = models.JSONField(_("после"), null=True, blank=True)
    at = models.DateTimeField(_("когда"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("запись журнала")
        verbose_name_plural = _("журнал изменений")

    def __str__(self):
        # Read on pages (the admin's title and breadcrumbs): the local time and the object, not the codes.
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.actor or '—'}: {self.object_repr or self.object_id}"
