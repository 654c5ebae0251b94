"""DRF's error messages that its own Russian catalogue leaves in English (DRF 3.18: a client sending
`?application=abc` read "Must be a valid UUID." amid Russian). They are marked here so that
makemessages keeps them in locale/ru, which translates them; Django reads LOCALE_PATHS before an
app's own catalogue, so these translations win over DRF's. In locale/en they stay as they are.

tests/test_api_errors.py checks that every message a DRF field can answer with is Russian, so a DRF
upgrade that adds or rewords one fails there, and its text is added here.
"""
from django.utils.translation import gettext_noop as _

MESSAGES = (
    _("Must be a valid boolean."),
    _("Not a valid string."),
    _("Must be a valid UUID."),
    _("A valid biginteger is required."),
    _("Integer value too large to convert to float"),
    _('Invalid datetime for the timezone "{timezone}".'),
    _("Datetime value out of range."),
    _("This dictionary may not be empty."),
    _("Ensure this field has at least {min_length} elements."),
    _("Ensure this field has no more than {max_length} elements."),
    _('Enter a valid "slug" consisting of Unicode letters, numbers, underscores, or hyphens.'),
    _("Invalid input."),
)
