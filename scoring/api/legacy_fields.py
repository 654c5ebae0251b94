"""The 2023 service's field names and the questionnaire keys they stand for (scoring/api/legacy.py
reads its bodies with them, scoring/api/schema.py describes them)."""

# old name -> questionnaire key
FIELDS = {
    "birthdate": "birth_date", "education": "education", "employment_status": "employment_status",
    "value": "work_experience", "jobstartdate": "job_start_date", "position": "position",
    "monthprofit": "month_profit", "monthexpense": "month_expense", "gender": "gender",
    "family_status": "family_status", "childcount": "child_count", "snils": "snils", "merch_code": "merch_code",
    "loan_amount": "loan_amount", "loan_term": "loan_term", "goods_category": "goods_category",
}
