"""Limits on uploaded files: what a CSV import accepts before any byte is parsed."""
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

CSV_CONTENT_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
                     "application/octet-stream", ""}


def validate_csv_upload(upload) -> None:
    """Refuse a file that is too large, not named .csv, or not text (a NUL byte in its start)."""
    limit = settings.PRESCORING["MAX_UPLOAD_BYTES"]
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_("Файл больше %(limit)s."), code="too_large",
                              params={"limit": filesizeformat(limit)})
    if PurePath(upload.name or "").suffix.lower() != ".csv":
        raise ValidationError(_("Загрузите файл CSV (расширение .csv)."), code="not_csv")
    if (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower() not in CSV_CONTENT_TYPES:
        raise ValidationError(_("Загрузите файл CSV, а не %(type)s."), code="not_csv",
                              params={"type": upload.content_type})
    head = upload.read(4096)
    upload.seek(0)
    if b"\x00" in head:
        raise ValidationError(_("Файл не похож на текстовый CSV."), code="binary")
