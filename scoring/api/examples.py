"""Examples in the OpenAPI schema (/api/schema/, /api/docs/): what a request and an answer look like."""
from drf_spectacular.utils import OpenApiExample

ANSWERS_EXAMPLE = {
    "birth_date": "1988-07-21", "education": "Высшее - специалист",
    "employment_status": "Работаю по найму полный рабочий день/служу", "work_experience": "10 и более лет",
    "job_start_date": "2015-03-01", "position": "Менеджер", "month_profit": 145000, "month_expense": 22500,
    "gender": "0", "family_status": "Женат / замужем", "child_count": 1, "snils": True, "merch_code": 12,
    "loan_amount": 68000, "loan_term": "12", "goods_category": "Mobile_devices",
}
CREATE_EXAMPLE = OpenApiExample(
    "Анкета", request_only=True,
    value={"answers": ANSWERS_EXAMPLE, "client": {"full_name": "Иванов Иван Иванович", "phone": "+7 900 123-45-67"}},
)
INVALID_EXAMPLE = OpenApiExample(
    "Ошибки по полям", response_only=True, status_codes=["400"],
    value={"status": 400, "code": "invalid", "detail": "Проверьте поля запроса.",
           "errors": {"answers": {"birth_date": ["Обязательное поле."], "loan_term": [
               "Выберите один из вариантов: 6, 12, 18, 24."]}}},
)


DETAIL_EXAMPLE = OpenApiExample("Оценённая заявка", response_only=True, status_codes=["200"], value={
    "id": "3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60",
    "url": "http://127.0.0.1:8000/api/v1/applications/3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60/",
    "status": "done", "created_at": "2026-11-25T10:15:02.120000+03:00",
    "scored_at": "2026-11-25T10:15:02.480000+03:00", "parent": None,
    "client": {"full_name": "Иванов Иван Иванович", "phone": "+7 900 123-45-67", "masked": False},
    "answers": ANSWERS_EXAMPLE, "error": "",
    "recommendation": {"action": "send", "banks": ["bank_d", "bank_a"], "ranking": ["bank_d", "bank_a", "bank_b"],
                       "text": "Отправьте в «Банк D» и «Банк A»."},
    "scores": [{"bank": "bank_d", "bank_name": "Банк D", "rank": 0, "probability": 0.83, "threshold": 0.5,
                "verdict": "likely", "refused_by_rule": False,
                "reasons": [{"feature": "month_profit", "label": "Ежемесячный доход, ₽", "contribution": 0.41,
                             "direction": "up", "effect_pp": 6.2, "text": "Доход 145 000 ₽ повышает шансы."}],
                "offer": {"annual_rate": 24.9, "amount": 68000.0, "term": 12, "monthly_payment": 6459.71,
                          "total_repayment": 77516.52, "overpayment": 9516.52, "full_cost_percent": 27.948},
                "suggestions": [],
                "decision": {"annual_rate": 24.9, "threshold": 0.5, "min_amount": 4000.0, "max_amount": 200000.0,
                             "terms": [6, 12, 18, 24], "rules": [], "fired": [],
                             "affordability": {"enabled": True, "min_remainder": 0.0, "remainder": 116040.29}}}],
    "outcomes": [],
})
BATCH_EXAMPLE = OpenApiExample("Пакет в работе", response_only=True, status_codes=["200"], value={
    "id": "9b2e7c1a-4d3f-4e8b-a1c2-0f9e8d7c6b5a",
    "url": "http://127.0.0.1:8000/api/v1/applications/batch/9b2e7c1a-4d3f-4e8b-a1c2-0f9e8d7c6b5a/",
    "created_at": "2026-11-25T10:20:00+03:00", "is_complete": False,
    "progress": {"total": 2, "queued": 1, "scoring": 0, "done": 1, "failed": 0, "finished": 1, "percent": 50.0},
    "applications": [
        {"position": 0, "id": "3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60", "status": "done", "action": "send",
         "url": "http://127.0.0.1:8000/api/v1/applications/3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60/",
         "scores": [{"bank": "bank_a", "probability": 0.81, "verdict": "likely"}]},
        {"position": 1, "id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", "status": "queued", "action": None,
         "url": "http://127.0.0.1:8000/api/v1/applications/5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d/", "scores": []},
    ],
})
BANKS_EXAMPLE = OpenApiExample("Банки", response_only=True, status_codes=["200"], value=[
    {"code": "bank_a", "name": "Банк A", "annual_rate": 24.9, "min_amount": 5000.0, "max_amount": 200000.0,
     "terms": [6, 12, 18, 24], "approval_threshold": 0.5, "model_version": 12}])
