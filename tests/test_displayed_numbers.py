"""What the officer reads adds up (issue 15, finding 1): on the result page of random applications,
every bank card's listed factors in п.п., with "other factors", take the model's average to the
probability the card shows, and the waterfall ends on it. The numbers are read from the rendered
page, as the officer reads them, not from the model."""
import random
import re
from datetime import date, timedelta
from html import unescape

import pytest

from scoring.engine.config import default_feature_specs
from scoring.services import runtime, submission

APPLICATIONS = 12
CARD = re.compile(r'<article class="bank verdict-[^"]*" data-bank="(?P<bank>[^"]+)".*?</article>', re.S)
EFFECT = re.compile(r'<span class="effect"[^>]*>\s*(?P<n>[^<]+?)&nbsp;', re.S)
NOTE = re.compile(r'<p class="hint effects-note">(?P<text>.*?)</p>', re.S)
STEP_END = re.compile(r'<td class="num">(?P<n>[^<]+)</td>')
NUMBER = re.compile(r"[+\-−]?\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?")


def number(text: str) -> float:
    """'−2,4', '+12,0', '48,3 %', '1 234' → a float (Russian decimal comma, any minus, grouped digits)."""
    found = NUMBER.search(unescape(text))
    assert found, f"no number in {text!r}"
    raw = re.sub(r"[\s\u00a0\u202f]", "", found.group()).replace("−", "-").replace(",", ".")
    return float(raw)


def random_answers(rng: random.Random) -> dict:
    """A questionnaire drawn at random from each field's own vocabulary and ranges."""
    today = date.today()
    answers = {}
    for spec in default_feature_specs():
        if spec.type == "choice":
            answers[spec.key] = rng.choice(spec.choices)
        elif spec.type == "boolean":
            answers[spec.key] = rng.random() < 0.7
        elif spec.type == "text":
            answers[spec.key] = rng.choice(["Менеджер", "Водитель", "Инженер", ""])
    birth = today - timedelta(days=rng.randint(19 * 365, 75 * 365))
    answers.update(
        birth_date=birth.isoformat(),
        job_start_date=(today - timedelta(days=rng.randint(30, 15 * 365))).isoformat(),
        month_profit=rng.randrange(15_000, 250_000, 500),
        month_expense=rng.randrange(3_000, 60_000, 500),
        child_count=rng.randint(0, 4),
        merch_code=rng.randint(1, 60),
        loan_amount=rng.randrange(5_000, 400_000, 1_000),
    )
    return answers


@pytest.fixture
def random_applications(models_ready, officer):
    rng = random.Random(20261201)
    applications = []
    for _ in range(APPLICATIONS):
        application, _ = submission.submit_application(officer=officer, answers=random_answers(rng))
        runtime.score_application(application_id=application.pk)
        applications.append(application)
    return applications


def test_every_card_adds_up_from_the_average_to_the_shown_probability(officer_client, random_applications):
    checked = refused = 0
    for application in random_applications:
        page = officer_client.get(f"/applications/{application.pk}/").content.decode()
        cards = list(CARD.finditer(page))
        assert cards, f"no bank cards on the page of {application.pk}"
        for card in cards:
            html = card.group()
            note = NOTE.search(html)
            effects = [number(m.group("n")) for m in EFFECT.finditer(html)]
            if note is None:
                # A bank refusing by rule: no model effects are listed, so there is nothing to add up.
                assert effects == [], card.group("bank")
                refused += 1
                continue
            average, other, shown = [number(part) for part in re.split(r";", unescape(note.group("text")))[:3]]
            # Each shown figure is rounded to 0.1: the sum may drift by 0.05 per figure, no more.
            tolerance = 0.05 * (len(effects) + 3) + 1e-9
            assert average + sum(effects) + other == pytest.approx(shown, abs=tolerance), (
                f"{card.group('bank')}: {average} + {effects} + {other} != {shown}")
            ends = [number(m.group("n")) for m in STEP_END.finditer(html)]
            assert ends, f"{card.group('bank')}: no waterfall"
            assert ends[-1] == pytest.approx(shown, abs=0.5 + 1e-9)  # the waterfall ends on the shown chance
            checked += 1
    assert checked >= APPLICATIONS  # at least one explained card per application on average
    assert checked + refused == APPLICATIONS * len(cards)
