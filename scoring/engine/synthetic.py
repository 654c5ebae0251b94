"""A synthetic lender's history: questionnaires like the public data set's, each bank's decisions.

The public data set has the right format but no signal (docs/data-format.md), so models are trained
on this generator by default. It reproduces the data set's marginals with sane joint structure, and
decides for every bank by a hidden policy of its own. The true approval probability is kept for every row
(`<bank>_p_true`), so a trained model can be compared with the best possible one (oracle AUC).

Deterministic: the same (rows, seed, banks, as_of) give the same frame. The world itself (the
stores, each bank's policy) does not depend on the seed, so data sets with different seeds are
samples of the same population.
"""
from __future__ import annotations

import datetime as dt
import math
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from .offers import monthly_payment

AS_OF = dt.date(2026, 1, 1)
DEFAULT_BANKS = ("bank_a", "bank_b", "bank_c", "bank_d", "bank_e")

# --- marginals (docs/data-format.md) ----------------------------------------------------------

EDUCATION = {
    "Высшее - специалист": 80.2, "Среднее профессиональное": 7.1, "Среднее": 3.5,
    "Неоконченное высшее": 3.5, "Бакалавр": 2.3, "Несколько высших": 1.7, "Магистр": 1.1,
    "Неоконченное среднее": 0.5, "MBA": 0.05, "Ученая степень": 0.05,
}
FULL_TIME, OWN_BUSINESS, UNEMPLOYED = (
    "Работаю по найму полный рабочий день/служу", "Собственное дело", "Не работаю")
PART_TIME, STUDENT, MATERNITY, PENSIONER = (
    "Работаю по найму неполный рабочий день", "Студент", "Декретный отпуск", "Пенсионер")
EMPLOYMENT = {FULL_TIME: 73.6, OWN_BUSINESS: 23.1, UNEMPLOYED: 1.1, PART_TIME: 0.9, STUDENT: 0.7,
              MATERNITY: 0.3, PENSIONER: 0.3}
# Experience bands with their lower bound in years, and shares among those who have one.
EXPERIENCE = {
    "менее 4 месяцев": (0.0, 0.5), "4 - 6 месяцев": (0.34, 0.8), "6 месяцев - 1 год": (0.5, 1.9),
    "1 - 2 года": (1, 4.2), "2 - 3 года": (2, 7.6), "3 - 4 года": (3, 8.0), "4 - 5 лет": (4, 5.6),
    "5 - 6 лет": (5, 4.4), "6 - 7 лет": (6, 3.8), "7 - 8 лет": (7, 3.4), "8 - 9 лет": (8, 2.3),
    "9 - 10 лет": (9, 1.3), "10 и более лет": (10, 54.7),
}
FAMILY = {
    "Никогда в браке не состоял(а)": 67.2, "Женат / замужем": 22.6, "Разведён / Разведена": 7.4,
    "Гражданский брак / совместное проживание": 1.6, "Вдовец / вдова": 0.7,
}
EXPERIENCE_GAP_YEARS = 5.0
CHILDREN = {0: 93.4, 1: 3.1, 2: 2.3, 3: 0.5, 4: 0.07, 5: 0.03}
TERMS = {"6": 36.4, "12": 37.7, "18": 13.3, "24": 12.5}
GOODS = ("Furniture", "Mobile_devices", "Travel", "Medical_services", "Education", "Fitness", "Other")

EMPLOYEE_POSITIONS = {
    "менеджер": 14, "руководитель": 7, "специалист": 7, "старший специалист": 4, "администратор": 4,
    "директор": 4, "бухгалтер": 3, "водитель": 3, "маркетолог": 3, "продавец": 3, "инженер": 3,
    "заместитель директора": 2, "главный специалист": 2, "ведущий специалист": 2, "юрист": 2,
    "программист": 2, "врач": 2, "учитель": 2, "начальник отдела": 2, "экономист": 2,
    "менеджер по продажам": 2, "оператор": 1, "кассир": 1, "аналитик": 1, "дизайнер": 1,
}
OWNER_POSITIONS = {"индивидуальный предприниматель": 10, "самозанятый": 6, "самозанятая": 5,
                   "генеральный директор": 5, "директор": 3, "ИП": 3, "учредитель": 1}
# Spellings officers actually type ("инд", "мене", "зам"), chosen now and then instead of the title.
SHORTHANDS = {"индивидуальный предприниматель": ("ИП", "инд предприниматель", "инд"),
              "менеджер": ("мене", "менедж"), "заместитель директора": ("зам директора", "зам. директора"),
              "генеральный директор": ("ген директор", "ген. директор"),
              "старший специалист": ("ст. специалист",), "главный специалист": ("гл. специалист",)}


def _pick(rng, table: dict, size: int) -> np.ndarray:
    values = np.array(list(table.keys()), dtype=object)
    weights = np.array(list(table.values()), dtype=float)
    return rng.choice(values, size=size, p=weights / weights.sum())


@lru_cache(maxsize=1)
def stores() -> tuple[np.ndarray, np.ndarray]:
    """70 distinct store codes in 1..80 and how often each sells on credit (fixed world)."""
    rng = np.random.default_rng(20_240_501)
    codes = np.sort(rng.choice(np.arange(1, 81), size=70, replace=False))
    weights = 1.0 / np.arange(1, 71) ** 0.8
    rng.shuffle(weights)
    return codes, weights / weights.sum()


# --- bank policies ----------------------------------------------------------------------------

@dataclass(frozen=True)
class BankPolicy:
    """A bank's hidden approval rule: a logit of interpretable client traits.

    pti_cap: payment-to-income share above which refusals climb steeply (pti_slope per 0.1).
    """

    target_rate: float = 0.75
    pti_cap: float = 0.25
    pti_slope: float = 1.2
    income: float = 0.6           # per e-fold of income over the median
    expense: float = 1.5          # per unit of expense-to-income
    young: float = 0.5            # per 5 years under 25
    old: float = 0.6              # per 10 years over 60
    short_tenure: float = 0.8     # under one year at the current job
    long_term: float = 0.0        # per 12 months over a 12-month term
    children: float = 0.15        # per child
    snils: float = 0.0
    higher_education: float = 0.2
    employment: dict = field(default_factory=dict)
    goods: dict = field(default_factory=dict)
    store_spread: float = 0.3     # standard deviation of the per-store effect

    def seed(self, code: str) -> int:
        return zlib.crc32(code.encode("utf-8"))


BASE_EMPLOYMENT = {FULL_TIME: 0.0, OWN_BUSINESS: -0.2, PART_TIME: -0.6, UNEMPLOYED: -2.5, STUDENT: -1.5,
                   MATERNITY: -1.0, PENSIONER: -0.7}

POLICIES = {
    # Careful with debt burden, likes stable employees.
    "bank_a": BankPolicy(target_rate=0.76, pti_cap=0.20, pti_slope=1.6, income=0.5, short_tenure=1.0,
                         employment={OWN_BUSINESS: -0.5}, goods={"Travel": -0.4, "Furniture": 0.2}),
    # Likes the self-employed, dislikes long terms.
    "bank_b": BankPolicy(target_rate=0.75, pti_cap=0.30, pti_slope=1.0, income=0.8, long_term=-0.5,
                         employment={OWN_BUSINESS: 0.4}, goods={"Mobile_devices": 0.3, "Education": -0.3}),
    # Income-driven, strict with the young, counts on SNILS.
    "bank_c": BankPolicy(target_rate=0.74, pti_cap=0.25, income=1.1, young=1.0, snils=0.5,
                         goods={"Medical_services": 0.4, "Fitness": -0.3}, store_spread=0.45),
    # Lenient, but strict on expenses and older clients.
    "bank_d": BankPolicy(target_rate=0.77, pti_cap=0.35, pti_slope=0.9, expense=3.0, old=1.2, income=0.4,
                         goods={"Education": 0.4, "Travel": 0.2, "Other": -0.3}),
    # Cares about tenure and family, prefers short loans.
    "bank_e": BankPolicy(target_rate=0.75, pti_cap=0.22, short_tenure=1.4, children=0.35, long_term=-0.3,
                         higher_education=0.5, goods={"Furniture": -0.3, "Mobile_devices": 0.2},
                         employment={OWN_BUSINESS: -0.1}),
}


def policy_for(code: str) -> BankPolicy:
    """A known bank's policy, or for any other code a distinct one derived from the code itself."""
    if code in POLICIES:
        return POLICIES[code]
    rng = np.random.default_rng(zlib.crc32(code.encode("utf-8")))
    return BankPolicy(
        target_rate=float(rng.uniform(0.70, 0.80)), pti_cap=float(rng.uniform(0.18, 0.35)),
        pti_slope=float(rng.uniform(0.8, 1.6)), income=float(rng.uniform(0.3, 1.1)),
        young=float(rng.uniform(0.2, 1.0)), old=float(rng.uniform(0.2, 1.2)),
        long_term=float(rng.uniform(-0.5, 0.1)), snils=float(rng.uniform(0, 0.5)),
        employment={OWN_BUSINESS: float(rng.uniform(-0.5, 0.4))},
        goods={g: float(rng.normal(0, 0.25)) for g in GOODS},
    )


def _policy_logit(policy: BankPolicy, code: str, traits: dict) -> np.ndarray:
    codes, _weights = stores()
    store_effect = np.random.default_rng(policy.seed(code)).normal(0, policy.store_spread, size=81)
    employment = {**BASE_EMPLOYMENT, **policy.employment}
    tenure = np.nan_to_num(traits["tenure"], nan=0.0)
    logit = (
        -policy.pti_slope * np.maximum(traits["pti"] - policy.pti_cap, 0) * 10
        - 2.0 * traits["pti"]
        + policy.income * traits["log_income"]
        - policy.expense * traits["expense_ratio"]
        - policy.young * np.maximum(25 - traits["age"], 0) / 5
        - policy.old * np.maximum(traits["age"] - 60, 0) / 10
        - policy.short_tenure * (tenure < 1)
        + policy.long_term * (traits["term"] - 12) / 12
        - policy.children * traits["children"]
        + policy.snils * traits["snils"]
        + policy.higher_education * traits["higher_education"]
        + np.vectorize(employment.get)(traits["employment"]).astype(float)
        + np.vectorize(lambda g: policy.goods.get(g, 0.0))(traits["goods"]).astype(float)
        + store_effect[traits["store"]]
    )
    return logit


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@lru_cache(maxsize=64)
def _intercept(code: str) -> float:
    """The intercept that gives the bank its target approval rate on a fixed reference sample."""
    policy = policy_for(code)
    _frame, traits = _questionnaires(20_000, np.random.default_rng(987_654), AS_OF)
    logit = _policy_logit(policy, code, traits)
    low, high = -10.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2
        if _sigmoid(logit + mid).mean() < policy.target_rate:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def true_probability(code: str, traits: dict) -> np.ndarray:
    return _sigmoid(_policy_logit(policy_for(code), code, traits) + _intercept(code))


# --- questionnaires ---------------------------------------------------------------------------

def _sample_bands(weights: np.ndarray, age: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Band index per client: drawn by weights among the bands whose lower bound the age allows."""
    lower = np.array([low for low, _share in EXPERIENCE.values()])
    feasible = np.maximum(np.searchsorted(lower, age - 16, side="right") - 1, 0)
    cumulative = np.cumsum(weights)
    return np.minimum(np.searchsorted(cumulative, uniform * cumulative[feasible], side="right"), feasible)


@lru_cache(maxsize=1)
def _experience_weights() -> np.ndarray:
    """Sampling weights that give the published band shares (docs/data-format.md) overall once young
    clients are held to the bands their age allows (a few rounds of raking on a fixed reference sample)."""
    target = np.array([share for _low, share in EXPERIENCE.values()])
    target = target / target.sum()
    rng = np.random.default_rng(55_555)
    age, uniform = _ages(rng, 50_000), rng.random(50_000)
    weights = target.copy()
    for _ in range(30):
        realised = np.bincount(_sample_bands(weights, age, uniform), minlength=len(target)) / len(age)
        weights = weights * target / np.maximum(realised, 1e-9)
        weights = weights / weights.sum()
    return weights


def _experience_bands(age: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    return _sample_bands(_experience_weights(), age, uniform)


def _ages(rng, n: int) -> np.ndarray:
    """Age in years: 18 to 83, median 35 (docs/data-format.md)."""
    # 83.0 at the latest: a client is "83" for a year after, so a generated file stays valid to import.
    return np.clip(18 + rng.gamma(2.2, 8.6, size=n), 18.0, 83.0)


def _noisy_position(rng, title: str) -> str:
    roll = rng.random()
    if title in SHORTHANDS and roll < 0.15:
        title = SHORTHANDS[title][rng.integers(len(SHORTHANDS[title]))]
    style = rng.random()
    if style < 0.55:
        title = title.lower() if title != "ИП" else title
    elif style < 0.85:
        title = title[:1].upper() + title[1:]
    elif style < 0.92:
        title = title.upper()
    if rng.random() < 0.1:
        title = " " + title.replace(" ", "  ") + " "
    return title


def _iso(dates: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(dates, unit="D").astype(object)


def _questionnaires(n: int, rng: np.random.Generator, as_of: dt.date) -> tuple[pd.DataFrame, dict]:
    """n questionnaires as answers (the frame) and the traits the policies read (numpy arrays)."""
    as_of64 = np.datetime64(as_of.isoformat(), "D")
    age = _ages(rng, n)
    birth = as_of64 - np.round(age * 365.25).astype("timedelta64[D]")

    employment = _pick(rng, EMPLOYMENT, n)
    employment[(age >= 63) & (rng.random(n) < 0.06)] = PENSIONER
    employment[(age < 23) & (employment == FULL_TIME) & (rng.random(n) < 0.05)] = STUDENT
    education = _pick(rng, EDUCATION, n)
    no_job = np.isin(employment, [UNEMPLOYED, STUDENT])

    # Experience: a band the client's age allows (the published shares overall); empty for most
    # students and the unemployed.
    bands = list(EXPERIENCE)
    lower = np.array([EXPERIENCE[b][0] for b in bands])
    experience_index = _experience_bands(age, rng.random(n))
    width = np.diff(np.append(lower, 14.0))[experience_index]
    experience_years = np.minimum(lower[experience_index] + rng.random(n) * width, np.maximum(age - 16, 0.05))
    experience = np.array(bands, dtype=object)[experience_index]
    experience_missing = (no_job & (rng.random(n) < 0.65)) | (rng.random(n) < 0.001)
    experience[experience_missing] = None

    # The current job started after the 16th birthday and within the client's experience.
    tenure = np.minimum(rng.exponential(4.5, size=n), np.maximum(experience_years, 0.1))
    tenure = np.minimum(tenure, age - 16)
    job_start = as_of64 - np.round(tenure * 365.25).astype("timedelta64[D]")
    job_missing = ((employment == UNEMPLOYED) | ((employment == STUDENT) & (rng.random(n) < 0.5))
                   | (rng.random(n) < 0.002))
    tenure[job_missing] = np.nan
    job_start_text = _iso(job_start)
    job_start_text[job_missing] = None

    positions = np.empty(n, dtype=object)
    employee_titles = _pick(rng, EMPLOYEE_POSITIONS, n)
    owner_titles = _pick(rng, OWNER_POSITIONS, n)
    for i in range(n):
        if employment[i] == OWN_BUSINESS:
            positions[i] = _noisy_position(rng, owner_titles[i])
        elif employment[i] in (FULL_TIME, PART_TIME, MATERNITY):
            positions[i] = _noisy_position(rng, employee_titles[i])
        elif employment[i] == STUDENT:
            positions[i] = "студент" if rng.random() < 0.5 else None
        elif employment[i] == PENSIONER:
            positions[i] = "пенсионер" if rng.random() < 0.5 else None
        else:
            positions[i] = None

    income = np.exp(rng.normal(math.log(145_000), 0.45, size=n))
    income[no_job] *= 0.45
    income = np.clip(np.round(income / 1000) * 1000, 10_000, 1_200_000)
    # Expenses mostly independent of income (rent, family), never above 95 % of it.
    expense = np.minimum(np.exp(rng.normal(math.log(22_500), 0.62, size=n)), 0.95 * income)
    expense = np.round(expense / 500) * 500

    gender = rng.choice(np.array(["0", "1", None], dtype=object), size=n, p=[0.687, 0.308, 0.005])
    family = _pick(rng, FAMILY, n)
    children = _pick(rng, CHILDREN, n).astype(int)
    snils = rng.random(n) < 0.35
    store_codes, store_weights = stores()
    store = rng.choice(store_codes, size=n, p=store_weights)

    amount = np.clip(np.round((4_000 + 196_000 * rng.beta(1.25, 2.35, size=n)) / 1000) * 1000, 4_000, 200_000)
    term = _pick(rng, TERMS, n)
    goods = rng.choice(np.array(GOODS, dtype=object), size=n)

    frame = pd.DataFrame({
        "birth_date": _iso(birth),
        "education": education,
        "employment_status": employment,
        "work_experience": experience,
        "job_start_date": job_start_text,
        "position": positions,
        "month_profit": income.astype(int),
        "month_expense": expense.astype(int),
        "gender": gender,
        "family_status": family,
        "child_count": children,
        "snils": snils,
        "merch_code": store.astype(int),
        "loan_amount": amount.astype(int),
        "loan_term": term,
        "goods_category": goods,
    })
    term_months = term.astype(float)
    traits = {
        "age": age,
        "tenure": tenure,
        "pti": monthly_payment(amount, 20.0, term_months) / income,
        "log_income": np.log(income / 145_000),
        "expense_ratio": expense / income,
        "term": term_months,
        "children": children,
        "snils": snils.astype(float),
        "higher_education": np.isin(education, ["Высшее - специалист", "Несколько высших", "Магистр", "MBA",
                                                "Ученая степень", "Бакалавр"]).astype(float),
        "employment": employment,
        "goods": goods,
        "store": store,
    }
    return frame, traits


def generate_applications(rows: int, *, seed: int = 42, bank_codes=DEFAULT_BANKS,
                          as_of: dt.date = AS_OF, error_rate: float = 0.01) -> pd.DataFrame:
    """rows synthetic applications with every bank's decision.

    Columns: the 16 questionnaire keys (values as the API takes them), then per bank
    `<code>_decision` ('success', 'denied' or, for about error_rate of rows, 'error') and
    `<code>_p_true` (the bank's true approval probability). frame.attrs["as_of"] is the day
    the applications were made (ages and tenures are counted to it).
    """
    if rows < 1:
        raise ValueError("rows must be positive")
    rng = np.random.default_rng(seed)
    frame, traits = _questionnaires(rows, rng, as_of)
    for code in bank_codes:
        p_true = true_probability(code, traits)
        approved = rng.random(rows) < p_true
        decision = np.where(approved, "success", "denied").astype(object)
        decision[rng.random(rows) < error_rate] = "error"
        frame[f"{code}_decision"] = decision
        frame[f"{code}_p_true"] = p_true
    frame.attrs["as_of"] = as_of
    return frame


def labels(frame: pd.DataFrame, code: str) -> np.ndarray:
    """1.0 approved, 0.0 refused, NaN where the bank gave no answer (an 'error' or empty)."""
    decision = frame[f"{code}_decision"]
    return np.where(decision == "success", 1.0, np.where(decision == "denied", 0.0, np.nan))
