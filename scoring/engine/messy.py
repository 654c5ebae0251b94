"""A legacy history as a lender's old system exports it, made from the synthetic generator (no Django).

The real legacy export (docs/data-format.md, "The legacy export") is not the clean file
generate_training_data writes: missing values are the word `NULL`, dates carry time parts, each
row has its own decision day in whatever format the old system used, and some rows hold what the
officer's form would refuse today. messy_history turns a generated frame into such a file's frame:

- every missing answer is `NULL`; a further part of the rows has `NULL` in fields the form
  requires (family status, child count);
- dates: the rows are spread over the two years before as_of (their answers' dates moved back with
  them, so each client's age on the decision day is the generated one); the decision day is written
  as `2023-05-01`, `2023-05-01 00:00:00` or `01.05.2023`, birth dates partly with a time part;
- implausible rows: a job started before the 16th birthday, a client older than max_age;
- unknown categories: goods and education values the questionnaire does not list;
- unreadable values: `н/д` as an expense;
- a few rows with no usable decision (all `error` or empty) and a few with an unknown decision word
  for one bank.

The kinds of mess are disjoint per row, so the frame's MESS column says which one each row got.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

MESS = "_mess"  # the column naming the mess of each row ('' for none); not written to the file
NULL = "NULL"
KINDS = ("null_required", "job_before_16", "age_over_limit", "unseen_category", "unreadable", "unknown_word",
         "no_decision")
UNSEEN_GOODS = ("Electronics", "Appliances", "Бытовая техника")
UNSEEN_EDUCATION = ("Среднее специальное", "Два высших")
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d 00:00:00", "%d.%m.%Y")


def messy_history(frame: pd.DataFrame, *, seed: int, as_of: dt.date, share: float = 0.08, max_age: int = 83,
                  decision_date_column: str = "DecisionDate", bank_codes=()) -> pd.DataFrame:
    """A copy of frame (generate_applications' columns, its dates counted to as_of) made messy.

    share: the part of the rows given one of KINDS (split evenly, no_decision at a tenth of the
    others); decision_date_column: the column written with each row's decision day; bank_codes: the
    banks whose `<code>_decision` columns exist. Returns object columns ready for
    csvformat.write_decisions_csv (extra_columns=[decision_date_column]) and MESS.
    """
    rng = np.random.default_rng(seed)
    n = len(frame)
    out = frame.copy()
    answer_columns = [c for c in out.columns if not c.endswith(("_decision", "_p_true"))]
    for column in answer_columns:
        out[column] = out[column].astype(object)

    # Each row decided on a day of the two years before as_of; its answers' dates move back with it.
    back = rng.integers(0, 730, size=n)
    days = [as_of - dt.timedelta(days=int(b)) for b in back]
    for key in ("birth_date", "job_start_date"):
        out[key] = [(dt.date.fromisoformat(value) - dt.timedelta(days=int(b))).isoformat()
                    if isinstance(value, str) else None for value, b in zip(out[key], back)]
    formats = rng.integers(0, len(DATE_FORMATS), size=n)
    out[decision_date_column] = [day.strftime(DATE_FORMATS[f]) for day, f in zip(days, formats)]

    weights = np.array([1.0] * (len(KINDS) - 1) + [0.1])
    kinds = rng.choice(len(KINDS), size=n, p=weights / weights.sum())
    chosen = rng.random(n) < share
    mess = np.where(chosen, np.array(KINDS, dtype=object)[kinds], "")
    out[MESS] = mess
    for i in np.flatnonzero(chosen):
        kind = mess[i]
        birth = dt.date.fromisoformat(out.at[i, "birth_date"])
        if kind == "null_required":
            out.at[i, "family_status" if rng.random() < 0.5 else "child_count"] = None
        elif kind == "job_before_16":
            out.at[i, "job_start_date"] = _years_after(birth, int(rng.integers(12, 16))).isoformat()
        elif kind == "age_over_limit":
            age = max_age + int(rng.integers(2, 8))
            out.at[i, "birth_date"] = _years_after(days[i], -age).isoformat()
            out.at[i, "job_start_date"] = None
        elif kind == "unseen_category":
            if rng.random() < 0.6:
                out.at[i, "goods_category"] = str(rng.choice(UNSEEN_GOODS))
            else:
                out.at[i, "education"] = str(rng.choice(UNSEEN_EDUCATION))
        elif kind == "unreadable":
            out.at[i, "month_expense"] = "н/д"
        elif kind == "unknown_word":
            out.at[i, f"{bank_codes[int(rng.integers(len(bank_codes)))]}_decision"] = "cancelled"
        elif kind == "no_decision":
            for code in bank_codes:
                out.at[i, f"{code}_decision"] = "error" if rng.random() < 0.5 else None

    # The old system's quirks on every row: NULL for a missing answer, birth dates partly with a time part.
    with_time = rng.random(n) < 0.3
    out["birth_date"] = [f"{value} 00:00:00.0000000" if t and value else value
                         for value, t in zip(out["birth_date"], with_time)]
    for column in answer_columns:
        out[column] = [NULL if _missing(value) else value for value in out[column]]
    return out


def decided(frame: pd.DataFrame, bank_codes) -> np.ndarray:
    """Which rows have at least one bank's 'success' or 'denied' (the rows an import must keep)."""
    columns = [frame[f"{code}_decision"].isin(["success", "denied"]).to_numpy() for code in bank_codes]
    return np.logical_or.reduce(columns)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _years_after(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (earlier when negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
