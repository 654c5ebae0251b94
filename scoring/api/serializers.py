from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scoring.accounts.roles import sees_personal_data
from scoring.api.schema import feature_schema
from scoring.models import Application, Bank, BankScore, Feature, ModelVersion, Outcome
from scoring.services import case_history, phrases
from scoring.services.questionnaire import validate_answers


class ClientSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    # Neither first nor last a space: the field trims them, and "0389\n" (five characters by the
    # pattern, four after trimming) was valid by the schema but refused.
    phone = serializers.RegexField(r"^\+?[\d()\-][\d\s()\-]{3,29}[\d()\-]$", max_length=32, required=False,
                                   allow_blank=True,
                                   error_messages={"invalid": "Введите телефон: цифры, пробелы, скобки, дефис."})


class ClientOutSerializer(serializers.Serializer):
    """The client's name and phone; masked (Иванов И., +7 900 123-**-**) for users who may not see them."""

    full_name = serializers.CharField()
    phone = serializers.CharField()
    masked = serializers.BooleanField(help_text="true: имя и телефон скрыты по роли пользователя.")

    def to_representation(self, instance):
        user = self.context.get("user")
        if user is None and self.context.get("request") is not None:
            user = self.context["request"].user
        if user is not None and sees_personal_data(user):
            return {"full_name": instance.full_name, "phone": instance.phone, "masked": False}
        return {"full_name": instance.masked_name, "phone": instance.masked_phone if instance.phone else "",
                "masked": True}


class ScoreSummarySerializer(serializers.Serializer):
    bank = serializers.CharField()
    probability = serializers.FloatField(min_value=0, max_value=1)
    verdict = serializers.ChoiceField(choices=BankScore.Verdict.choices)


_DATETIME = serializers.DateTimeField()  # as the declared DateTimeFields write a moment


def _summaries(application) -> list[dict]:
    return [{"bank": s.bank.code, "probability": s.probability, "verdict": s.verdict}
            for s in application.scores.all()]


def _words(context) -> phrases.Words:
    """The request's language words, made once per response (nested serializers share the context)."""
    return context.setdefault("phrase_words", phrases.words())


def _absolute(context, path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


APPLICATION_KEYS = ("answers", "client")


def unknown_keys_errors(data: dict, allowed=APPLICATION_KEYS) -> dict[str, list[str]]:
    """{"non_field_errors": [...]} naming the keys of data outside `allowed`, or {}: a misspelt key
    ("answer", "clients") is refused, not silently dropped, on the single and the batch endpoint alike."""
    unknown = set(data) - set(allowed)
    if not unknown:
        return {}
    return {"non_field_errors": [f"Неизвестные поля: {', '.join(sorted(map(str, unknown)))}."]}


class ApplicationCreateSerializer(serializers.Serializer):
    answers = serializers.DictField(
        help_text="Ответы анкеты: ключ поля → значение. Поля и их типы: GET /api/schema/ (Answers)."
    )
    client = ClientSerializer(required=False)

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            errors = unknown_keys_errors(self.initial_data)
            if errors:
                raise serializers.ValidationError(errors)
        return attrs

    def validate_answers(self, value):
        answers, errors = validate_answers(value)
        if errors:
            raise serializers.ValidationError(errors)
        return answers


class ApplicationStatusSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = ["id", "status", "url"]

    def get_url(self, obj) -> str:
        path = reverse("api:application-detail", kwargs={"application_id": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def to_representation(self, instance):
        """The fields above, built directly: the answer to every submission, where the generic walk
        built the model fields' serializer fields anew each time (tests/test_api_representation.py)."""
        return {"id": str(instance.pk), "status": str(instance.status), "url": self.get_url(instance)}


class ReasonSerializer(serializers.Serializer):
    feature = serializers.CharField(help_text="Ключ поля анкеты или производного признака.")
    label = serializers.CharField()
    contribution = serializers.FloatField(help_text="Вклад SHAP в логарифм шансов одобрения (>0 повышает).")
    direction = serializers.ChoiceField(choices=["up", "down"])
    effect_pp = serializers.FloatField(allow_null=True,
                                       help_text="Насколько фактор меняет вероятность, процентных пунктов.")
    text = serializers.CharField(help_text="Фраза для сотрудника.")


class OfferSerializer(serializers.Serializer):
    annual_rate = serializers.FloatField(help_text="% годовых")
    amount = serializers.FloatField()
    term = serializers.IntegerField()
    monthly_payment = serializers.FloatField(help_text="Аннуитетный платёж, ₽")
    total_repayment = serializers.FloatField(help_text="Всего выплатить за срок, ₽")
    overpayment = serializers.FloatField(help_text="Переплата: всего выплатить минус сумма кредита, ₽")
    full_cost_percent = serializers.FloatField(
        help_text="Полная стоимость кредита (ПСК), % годовых, три знака после запятой")


class DecisionRuleSerializer(serializers.Serializer):
    field = serializers.CharField()
    operator = serializers.CharField()
    value = serializers.JSONField()
    reason = serializers.CharField()


class DecisionSerializer(serializers.Serializer):
    annual_rate = serializers.FloatField(help_text="Ставка банка при оценке, % годовых")
    threshold = serializers.FloatField(help_text="Порог банка при оценке")
    min_amount = serializers.FloatField()
    max_amount = serializers.FloatField()
    terms = serializers.ListField(child=serializers.IntegerField())
    rules = DecisionRuleSerializer(many=True, help_text="Стоп-правила банка при оценке.")
    fired = serializers.ListField(child=serializers.CharField(),
                                  help_text="Сработавшие правила (банка и продукта: платёжеспособность).")
    affordability = serializers.DictField(required=False, help_text="Правило платёжеспособности продукта: "
                                          "enabled, min_remainder и остаток клиента после платежа и расходов, ₽.")


class SuggestionSerializer(serializers.Serializer):
    amount = serializers.FloatField(help_text="Сумма кредита, ₽")
    term = serializers.IntegerField(help_text="Срок, мес.")
    probability = serializers.FloatField()
    monthly_payment = serializers.FloatField(help_text="Платёж по ставке банка, ₽")


class BankScoreSerializer(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.code")
    bank_name = serializers.CharField(source="bank.name")
    threshold = serializers.FloatField(source="threshold_used", help_text="Порог банка, с которым заявка оценена.")
    refused_by_rule = serializers.BooleanField(help_text="Банк откажет по своим условиям (стоп-правила, лимиты).")
    reasons = ReasonSerializer(many=True)
    offer = serializers.SerializerMethodField(help_text="Условия банка для этой суммы и срока; null, если их нет.")
    suggestions = SuggestionSerializer(many=True, help_text="До трёх ближайших сумм и сроков, при которых "
                                                            "банк скорее одобрит (только ниже порога).")
    decision = serializers.SerializerMethodField(help_text="С чем заявка оценена, как решено тогда; "
                                                           "null для оценок, сохранённых до этого.")

    class Meta:
        model = BankScore
        fields = ["bank", "bank_name", "rank", "probability", "threshold", "verdict", "refused_by_rule",
                  "reasons", "offer", "suggestions", "decision"]

    @extend_schema_field(OfferSerializer(allow_null=True))
    def get_offer(self, obj):
        return obj.full_offer or None

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, obj):
        return obj.decision or None

    def to_representation(self, instance):
        """The fields above, built directly: every result the API sends has five of these, and the
        generic field-by-field walk was a tenth of a waited submission's CPU time (bench/load.py).
        tests/test_api_representation.py checks that this gives what the declared fields give."""
        words, bank = _words(self.context), instance.bank
        return {
            "bank": bank.code, "bank_name": bank.name, "rank": int(instance.rank),
            "probability": float(instance.probability), "threshold": float(instance.threshold_used),
            "verdict": instance.verdict, "refused_by_rule": bool(instance.refused_by_rule),
            "reasons": self.reasons_of(instance, words),
            "offer": instance.full_offer or None,
            "suggestions": [{"amount": float(s["amount"]), "term": int(s["term"]),
                             "probability": float(s["probability"]), "monthly_payment": float(s["monthly_payment"])}
                            for s in instance.suggestions],
            "decision": instance.decision or None,
        }

    @staticmethod
    def reasons_of(instance, words) -> list[dict]:
        return [{"feature": r["feature"], "label": phrases.label_of(r, words),
                 "contribution": r["contribution"], "direction": r.get("direction"),
                 "effect_pp": r.get("effect_pp"), "text": phrases.text_of(r, words)}
                for r in instance.explained_reasons]


class RecommendationSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["send", "do_not_send"])
    banks = serializers.ListField(child=serializers.CharField(), help_text="Куда отправить, лучшие первыми.")
    ranking = serializers.ListField(child=serializers.CharField(), help_text="Все банки по порядку.")
    text = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="Главные причины, если отправлять не стоит.")
    suggestion = serializers.DictField(required=False, allow_null=True,
                                       help_text="Лучший вариант суммы и срока, если отправлять не стоит.")


class OutcomeBriefSerializer(serializers.Serializer):
    bank = serializers.CharField()
    result = serializers.ChoiceField(choices=Outcome.Result.choices)
    amount = serializers.CharField(allow_null=True, help_text="₽, строка с двумя знаками после точки.")
    term = serializers.IntegerField(allow_null=True)
    recorded_at = serializers.DateTimeField()


class HistoryBankSerializer(serializers.Serializer):
    bank = serializers.CharField()
    bank_name = serializers.CharField()
    model_version = serializers.IntegerField(allow_null=True, help_text="Версия модели; null, если она удалена.")
    algorithm = serializers.CharField(allow_null=True)
    trained_at = serializers.DateTimeField(allow_null=True, help_text="Когда версия модели обучена.")
    threshold = serializers.FloatField(help_text="Порог банка при оценке.")
    probability = serializers.FloatField()
    verdict = serializers.ChoiceField(choices=BankScore.Verdict.choices)
    refused_by_rule = serializers.BooleanField()


class HistoryEventSerializer(serializers.Serializer):
    """One event of the case history (scoring/services/case_history.py); fields that do not apply are null."""

    event = serializers.ChoiceField(choices=case_history.EVENTS, help_text=(
        "submitted: подана (amount, term; application — исходная, если это вариант); scored: оценена (banks); "
        "failed: ошибка оценки (error); variant: запрошен вариант суммы и срока (application, amount, term); "
        "sent: отправлена в банк (bank); answered: ответ банка (bank, result, amount, term)."))
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True, help_text="Кто это сделал (сотрудник или интегратор).")
    bank = serializers.CharField(allow_null=True)
    bank_name = serializers.CharField(allow_null=True)
    amount = serializers.FloatField(allow_null=True, help_text="₽")
    term = serializers.IntegerField(allow_null=True, help_text="Срок, мес.")
    result = serializers.ChoiceField(choices=Outcome.Result.choices, allow_null=True)
    application = serializers.UUIDField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    banks = HistoryBankSerializer(many=True, help_text="Для scored: чем и с каким порогом оценён каждый банк.")


class ApplicationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    client = serializers.SerializerMethodField()
    scores = BankScoreSerializer(many=True, read_only=True)
    error = serializers.CharField(help_text="Причина ошибки, если статус failed.")
    recommendation = serializers.SerializerMethodField()
    parent = serializers.UUIDField(source="parent_id", allow_null=True,
                                   help_text="Исходная заявка, если эта — вариант суммы и срока.")
    answers = serializers.DictField(help_text="Ответы анкеты после проверки (ключ поля → значение или null).")
    outcomes = serializers.SerializerMethodField(help_text="Что банки ответили на самом деле (если записано).")
    history = serializers.SerializerMethodField(help_text="История заявки по времени: подана, оценена, "
                                                          "варианты, отправлена в банки, ответы банков.")

    class Meta:
        model = Application
        fields = ["id", "url", "status", "created_at", "scored_at", "parent", "client", "answers", "error",
                  "recommendation", "scores", "outcomes", "history"]

    def get_url(self, obj) -> str:
        return _absolute(self.context, reverse("api:application-detail", kwargs={"application_id": obj.pk}))

    @extend_schema_field(ClientOutSerializer(allow_null=True))
    def get_client(self, obj):
        return ClientOutSerializer(obj.client, context=self.context).data if obj.client else None

    @extend_schema_field(OutcomeBriefSerializer(many=True))
    def get_outcomes(self, obj):
        return [{"bank": o.bank.code, "result": o.result, "amount": None if o.amount is None else f"{o.amount:.2f}",
                 "term": o.term, "recorded_at": _DATETIME.to_representation(o.recorded_at)}
                for o in self._outcomes(obj)]

    @extend_schema_field(HistoryEventSerializer(many=True))
    def get_history(self, obj):
        events = case_history.case_history(obj, outcomes=self._outcomes(obj),
                                           just_submitted=bool(self.context.get("submitted_now")))
        return [{**event, "at": _DATETIME.to_representation(event["at"]),
                 "banks": [{**bank, "trained_at": None if bank["trained_at"] is None
                            else _DATETIME.to_representation(bank["trained_at"])} for bank in event["banks"]]}
                for event in events]

    def _outcomes(self, obj) -> list:
        """The answers recorded, read once for both outcomes and history (none in the answer to its own submission)."""
        if self.context.get("submitted_now"):
            return []  # answering its own submission: no bank has seen this application yet
        cache = self.context.setdefault("_outcomes", {})
        if obj.pk not in cache:
            cache[obj.pk] = list(obj.outcomes.select_related("bank", "recorded_by").order_by("bank__code"))
        return cache[obj.pk]

    def to_representation(self, instance):
        """The fields above, built directly (as BankScoreSerializer's): the generic walk builds every
        model field's serializer field anew for each answer. tests/test_api_representation.py checks
        that this gives what the declared fields give."""
        scores = BankScoreSerializer(context=self.context)
        return {
            "id": str(instance.pk), "url": self.get_url(instance), "status": str(instance.status),
            "created_at": _DATETIME.to_representation(instance.created_at),
            "scored_at": None if instance.scored_at is None else _DATETIME.to_representation(instance.scored_at),
            "parent": None if instance.parent_id is None else str(instance.parent_id),
            "client": self.get_client(instance),
            "answers": {str(key): value for key, value in instance.answers.items()},
            "error": str(instance.error), "recommendation": self.get_recommendation(instance),
            "scores": [scores.to_representation(score) for score in instance.scores.all()],
            "outcomes": self.get_outcomes(instance), "history": self.get_history(instance),
        }

    @extend_schema_field(RecommendationSerializer(allow_null=True))
    def get_recommendation(self, obj):
        if not obj.recommendation:
            return None
        shown = phrases.recommendation_texts(obj.recommendation, _words(self.context))
        return {key: value for key, value in shown.items() if key not in ("message", "reason_messages")}


class AlternativeSerializer(serializers.Serializer):
    loan_amount = serializers.FloatField(help_text="Новая сумма, ₽")
    loan_term = serializers.IntegerField(help_text="Новый срок, мес.")


# --- personal data, lists and the other resources -------------------------------------------------

class ApplicationListItemSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    client = serializers.SerializerMethodField()
    parent = serializers.UUIDField(source="parent_id", allow_null=True)
    action = serializers.SerializerMethodField(help_text="Рекомендация: send или do_not_send; null, пока не оценена.")
    scores = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = ["id", "url", "status", "created_at", "scored_at", "parent", "client", "action", "scores"]

    def get_url(self, obj) -> str:
        return _absolute(self.context, reverse("api:application-detail", kwargs={"application_id": obj.pk}))

    @extend_schema_field(ClientOutSerializer(allow_null=True))
    def get_client(self, obj):
        return ClientOutSerializer(obj.client, context=self.context).data if obj.client else None

    @extend_schema_field(serializers.ChoiceField(choices=["send", "do_not_send"], allow_null=True))
    def get_action(self, obj):
        return (obj.recommendation or {}).get("action")

    @extend_schema_field(ScoreSummarySerializer(many=True))
    def get_scores(self, obj):
        return _summaries(obj)


class PageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Всего записей по фильтру.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class ApplicationPageSerializer(PageSerializer):
    results = ApplicationListItemSerializer(many=True)


class ApplicationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Application.Status.choices, required=False)
    created_from = serializers.DateField(required=False, help_text="Создана не раньше (ГГГГ-ММ-ДД).")
    created_to = serializers.DateField(required=False, help_text="Создана не позже (ГГГГ-ММ-ДД), включительно; "
                                                                 "не раньше created_from, иначе 400.")
    bank = serializers.SlugField(required=False, help_text="Код банка (с verdict: вердикт этого банка).")
    verdict = serializers.ChoiceField(choices=BankScore.Verdict.choices, required=False,
                                      help_text="Вердикт банка bank (или любого банка, если bank не задан).")
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def validate(self, attrs):
        start, end = attrs.get("created_from"), attrs.get("created_to")
        if start and end and start > end:
            raise serializers.ValidationError({"created_to": ["Конец периода раньше его начала."]})
        return attrs


class ApplicationWaitSerializer(serializers.Serializer):
    wait = serializers.IntegerField(
        required=False, min_value=0, max_value=10,
        help_text="Подождать результата до стольких секунд (0–10): ответ придёт, как только заявка "
                  "оценена, или по истечении срока со статусом, какой есть.")


class BankSerializer(serializers.ModelSerializer):
    annual_rate = serializers.FloatField(help_text="% годовых")
    min_amount = serializers.FloatField(help_text="₽")
    max_amount = serializers.FloatField(help_text="₽")
    terms = serializers.ListField(child=serializers.IntegerField(), help_text="Допустимые сроки, мес.")
    approval_threshold = serializers.FloatField()
    model_version = serializers.SerializerMethodField(help_text="Активная версия модели банка.")

    class Meta:
        model = Bank
        fields = ["code", "name", "annual_rate", "min_amount", "max_amount", "terms", "approval_threshold",
                  "model_version"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_model_version(self, obj):
        active = [v.pk for v in obj.model_versions.all() if v.active]
        return active[0] if active else None


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class FeatureSerializer(serializers.ModelSerializer):
    choices = serializers.SerializerMethodField()
    json_schema = serializers.SerializerMethodField(help_text="JSON Schema значения этого поля.")

    class Meta:
        model = Feature
        fields = ["key", "label", "label_en", "help_text", "type", "required", "order", "choices", "ordered",
                  "min_value", "max_value", "min_age", "max_age", "max_length", "json_schema"]

    @extend_schema_field(ChoiceSerializer(many=True))
    def get_choices(self, obj):
        return [{"value": v, "label": label} for v, label in obj.choice_pairs()]

    @extend_schema_field(serializers.DictField())
    def get_json_schema(self, obj):
        return feature_schema(obj)


class QuestionnaireSerializer(serializers.Serializer):
    features = FeatureSerializer(many=True)
    answers_schema = serializers.DictField(help_text="JSON Schema объекта answers (то же, что Answers в /api/schema/).")


class OutcomeCreateSerializer(serializers.Serializer):
    application = serializers.UUIDField()
    bank = serializers.SlugField(help_text="Код банка.")
    result = serializers.ChoiceField(choices=Outcome.Result.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=1, required=False, allow_null=True,
                                      help_text="Одобренная (или запрошенная) сумма, ₽.")
    term = serializers.IntegerField(min_value=1, max_value=600, required=False, allow_null=True,
                                    help_text="Срок, мес.")


class OutcomeSerializer(serializers.ModelSerializer):
    application = serializers.UUIDField(source="application_id")
    bank = serializers.CharField(source="bank.code")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username", allow_null=True, default=None)

    class Meta:
        model = Outcome
        fields = ["id", "application", "bank", "result", "amount", "term", "recorded_by", "recorded_at"]


class OutcomePageSerializer(PageSerializer):
    results = OutcomeSerializer(many=True)


class ModelVersionSerializer(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.code")
    metrics = serializers.DictField(help_text="Метрики на отложенной выборке: auc, pr_auc, …")
    feature_keys = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = ModelVersion
        fields = ["id", "bank", "algorithm", "active", "created_at", "training_data", "feature_keys", "metrics"]


class ModelVersionPageSerializer(PageSerializer):
    results = ModelVersionSerializer(many=True)


class ModelVersionFilterSerializer(serializers.Serializer):
    bank = serializers.SlugField(required=False)
    # Absent: no filter (views.common.query_params validates a plain dict, so DRF does not read an
    # absent boolean as False). Not nullable: `?active=` is refused as the other filters' empty values.
    active = serializers.BooleanField(required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)


class OutcomeFilterSerializer(serializers.Serializer):
    application = serializers.UUIDField(required=False)
    bank = serializers.SlugField(required=False)
    result = serializers.ChoiceField(choices=Outcome.Result.choices, required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)


# --- batch ------------------------------------------------------------------------------------------

class BatchCreateSerializer(serializers.Serializer):
    """Only for the schema; the view validates items one by one to report errors by position."""

    applications = ApplicationCreateSerializer(many=True, help_text="От 1 до 1000 анкет.")


class BatchApplicationSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="Номер анкеты в запросе, с 0.")
    id = serializers.UUIDField()
    url = serializers.CharField()
    status = serializers.ChoiceField(choices=Application.Status.choices)
    action = serializers.ChoiceField(choices=["send", "do_not_send"], allow_null=True)
    scores = ScoreSummarySerializer(many=True)


class BatchProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    queued = serializers.IntegerField()
    scoring = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    finished = serializers.IntegerField(help_text="done + failed")
    percent = serializers.FloatField(help_text="Доля оценённых, %.")


class BatchAcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField(help_text="Адрес пакета: прогресс и результаты.")
    total = serializers.IntegerField()
    applications = ApplicationStatusSerializer(many=True)


class BatchSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    is_complete = serializers.BooleanField()
    progress = BatchProgressSerializer()
    applications = BatchApplicationSerializer(many=True)


# --- the legacy service (2023) ------------------------------------------------------------------------

class LegacyFeaturesSerializer(serializers.Serializer):
    """The original service's 16 fields; any may be missing. Dates like 2000-11-22 00:00:00.0000000."""

    birthdate = serializers.CharField(required=False, allow_null=True)
    education = serializers.CharField(required=False, allow_null=True)
    employment_status = serializers.CharField(required=False, allow_null=True)
    value = serializers.CharField(required=False, allow_null=True, help_text="Общий стаж.")
    jobstartdate = serializers.CharField(required=False, allow_null=True)
    position = serializers.CharField(required=False, allow_null=True)
    monthprofit = serializers.FloatField(required=False, allow_null=True)
    monthexpense = serializers.FloatField(required=False, allow_null=True)
    gender = serializers.IntegerField(required=False, allow_null=True)
    family_status = serializers.CharField(required=False, allow_null=True)
    childcount = serializers.IntegerField(required=False, allow_null=True)
    snils = serializers.IntegerField(required=False, allow_null=True)
    merch_code = serializers.IntegerField(required=False, allow_null=True)
    loan_amount = serializers.FloatField(required=False, allow_null=True)
    loan_term = serializers.IntegerField(required=False, allow_null=True)
    goods_category = serializers.CharField(required=False, allow_null=True)


class LegacyTaskSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    is_complete = serializers.BooleanField()
