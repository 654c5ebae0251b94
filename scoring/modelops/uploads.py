"""Limits on uploaded files: what a CSV import accepts before any byte is parsed."""
import codecs
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

CSV_CONTENT_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
                     "application/octet-stream", ""}


def validate_csv_upload(upload) -> None:
    """Refuse a file that is too large, empty, not named .csv, not text (a NUL byte in its start)
    or not UTF-8. The file is left at its start."""
    limit = settings.PRESCORING["MAX_UPLOAD_BYTES"]
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_("Файл больше %(limit)s."), code="too_large",
                              params={"limit": filesizeformat(limit)})
    if upload.size == 0:
        raise ValidationError(_("Файл пуст."), code="empty")
    if PurePath(upload.name or "").suffix.lower() != ".csv":
        raise ValidationError(_("Загрузите файл CSV (расширение .csv)."), code="not_csv")
    if (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower() not in CSV_CONTENT_TYPES:
        raise ValidationError(_("Загрузите файл CSV, а не %(type)s."), code="not_csv",
                              params={"type": upload.content_type})
    head = upload.read(4096)
    upload.seek(0)
    if b"\x00" in head:
        raise ValidationError(_("Файл не похож на текстовый CSV."), code="binary")
    _require_utf8(upload)


def _require_utf8(upload) -> None:
    """Decode the file chunk by chunk (a character may span two chunks) and name the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        for chunk in upload.chunks():
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                held_over = len(exc.object) - len(chunk)  # bytes of a character begun in the previous chunk
                raise ValidationError(
                    _("Файл не в кодировке UTF-8 (байт %(position)s). Сохраните его как «CSV UTF-8»."),
                    code="not_utf8", params={"position": offset - held_over + exc.start + 1}) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ValidationError(_("Файл не в кодировке UTF-8: он обрывается посреди символа."),
                                  code="not_utf8") from None
    finally:
        upload.seek(0)
