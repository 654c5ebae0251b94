"""The English translation is complete and compiled; the questionnaire's texts are in the catalogue."""
import re
from pathlib import Path

import yaml
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from scoring.services.questionnaire_texts import QUESTIONNAIRE_TEXTS

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


# What loan officers see: these must be translated in full. Strings other pages add (analytics,
# API, admin) are extracted into the same catalogue and translated by their authors.
OFFICER_SOURCES = ("templates/base.html", "templates/registration/", "templates/officer/", "scoring/officer/",
                   "scoring/services/questionnaire.py", "scoring/services/questionnaire_texts.py",
                   "scoring/models/")


def officer_entries():
    """The catalogue entries referenced from an officer-facing source file."""
    blocks = PO.read_text(encoding="utf-8").split("\n\n")
    wanted = set()
    for block in blocks:
        references = " ".join(line for line in block.split("\n") if line.startswith("#:"))
        msgid = re.search(r'^msgid ((?:".*"\n)+)', block + "\n", re.M)
        if msgid and any(source in references for source in OFFICER_SOURCES):
            wanted.add("".join(line[1:-1] for line in msgid.group(1).strip().split("\n")).replace('\\"', '"'))
    return [entry for entry in catalogue_entries() if entry[0] in wanted]


def catalogue_entries():
    """(msgid, msgstr or the first plural form, fuzzy, context or None) for every active entry of the .po file."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        msgid = re.search(r'^msgid ((?:".*"\n)+)', block + "\n", re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if not msgid or not msgstr:
            continue

        def unquote(text):
            return "".join(line[1:-1] for line in text.strip().split("\n")).replace('\\"', '"')

        context = re.search(r'^msgctxt ((?:".*"\n)+)', block + "\n", re.M)
        if unquote(msgid.group(1)):
            entries.append((unquote(msgid.group(1)), unquote(msgstr.group(1)), "#, fuzzy" in block,
                            unquote(context.group(1)) if context else None))
    return entries


def test_every_message_on_the_officer_pages_has_an_english_translation():
    entries = officer_entries()
    assert len(entries) > 200
    untranslated = [msgid for msgid, msgstr, fuzzy, _context in entries if not msgstr or fuzzy]
    assert untranslated == []


def active_blocks():
    """Every active entry of the .po file (header and obsolete #~ entries left out) as its raw text."""
    blocks = PO.read_text(encoding="utf-8").split("\n\n")
    return [block for block in blocks[1:] if block.strip() and not block.lstrip().startswith("#~")]


def test_every_entry_of_the_catalogue_has_an_english_translation():
    untranslated = []
    for block in active_blocks():
        forms = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block + "\n", re.M)
        if not forms or any("".join(line[1:-1] for line in form.strip().split("\n")) == "" for form in forms):
            untranslated.append(block)
    assert len(active_blocks()) > 500
    assert untranslated == []


def test_no_entry_of_the_catalogue_is_fuzzy():
    assert [block for block in active_blocks() if re.search(r"^#,.*\bfuzzy\b", block, re.M)] == []


def test_every_translation_keeps_the_placeholders_of_its_russian_text():
    placeholder = re.compile(r"%\([a-z_]+\)[-+ #0-9.]*[sdfr]|\{[a-z_]+\}")
    wrong = [msgid for msgid, msgstr, _fuzzy, _context in catalogue_entries()
             if msgstr and sorted(placeholder.findall(msgid)) != sorted(placeholder.findall(msgstr))]
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file():
    with translation.override("en"):
        stale = [msgid for msgid, msgstr, _fuzzy, context in catalogue_entries() if msgstr
                 if "%(" not in msgid and "\\" not in msgid
                 and (translation.pgettext(context, msgid) if context else translation.gettext(msgid)) != msgstr]
    assert stale == []


def test_every_questionnaire_text_from_the_config_is_in_the_catalogue():
    config = yaml.safe_load((Path(settings.BASE_DIR) / "configs" / "features.yaml").read_text(encoding="utf-8"))
    texts = set()
    for feature in config["features"]:
        if feature.get("help_text"):
            texts.add(feature["help_text"])
        for choice in feature.get("choices") or []:
            label = str(choice.get("label", choice["value"]) if isinstance(choice, dict) else choice)
            if not label.isdigit():
                texts.add(label)
    assert texts - set(QUESTIONNAIRE_TEXTS) == set()


def test_the_questionnaire_is_russian_by_default_and_english_on_request(officer_client, configured):
    russian = officer_client.get(reverse("scoring:application_new")).content.decode()
    assert "Анкета клиента" in russian and "Дата рождения" in russian
    officer_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = officer_client.get(reverse("scoring:application_new")).content.decode()
    assert "Client questionnaire" in english and "Date of birth" in english
    assert "Mobile devices" in english and "Income after tax that the client can prove." in english
    assert "Анкета клиента" not in english


RU_PO = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def test_russian_counts_take_all_three_plural_forms():
    """Russian is the source language, but a count needs three forms (1 год, 2 года, 5 лет) where a
    source string has two: the ru catalogue carries the forms of every plural entry, and only those."""
    plural_blocks = [block for block in RU_PO.read_text(encoding="utf-8").split("\n\n")[1:]
                     if re.search(r"^msgid_plural ", block, re.M) and not block.lstrip().startswith("#~")]
    assert len(plural_blocks) >= 10
    # Its other entries stay empty (the Russian msgid is shown); a guess makemessages left there is not.
    guessed = [block for block in RU_PO.read_text(encoding="utf-8").split("\n\n")[1:]
               if re.search(r"^#,.*\bfuzzy\b", block, re.M) and not block.lstrip().startswith("#~")]
    assert guessed == []
    for block in plural_blocks:
        forms = re.findall(r'^msgstr\[(\d)\] ((?:".*"\n?)+)', block + "\n", re.M)
        texts = ["".join(line[1:-1] for line in text.strip().split("\n")) for _index, text in forms]
        assert [index for index, _text in forms] == ["0", "1", "2", "3"] and all(texts), block
        assert "fuzzy" not in block, block
    with translation.override("ru"):
        years = [translation.ngettext("%(count)d год", "%(count)d лет", n) % {"count": n} for n in (1, 2, 5, 11, 21, 22)]
    assert years == ["1 год", "2 года", "5 лет", "11 лет", "21 год", "22 года"]


def test_the_admin_in_english_names_the_domains_section_in_english(admin_client):
    admin_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = admin_client.get("/admin/").content.decode()
    assert ">Prescoring</a>" in page and "Прескоринг" not in page
