from django.urls import reverse
from rest_framework import serializers

from scoring.models import Application, BankScore
from scoring.questionnaire import validate_answers


class ClientSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.RegexField(r"^\+?[\d\s()\-]{5,31}$", max_length=32, required=False, allow_blank=True,
                                   error_messages={"invalid": "Введите телефон: цифры, пробелы, скобки, дефис."})


class ApplicationCreateSerializer(serializers.Serializer):
    answers = serializers.DictField(
        help_text="Ответы анкеты: ключ поля → значение. Поля и их типы: GET /api/schema/ (Answers)."
    )
    client = ClientSerializer(required=False)

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


class SuggestionSerializer(serializers.Serializer):
    amount = serializers.FloatField(help_text="Сумма кредита, ₽")
    term = serializers.IntegerField(help_text="Срок, мес.")
    probability = serializers.FloatField()
    monthly_payment = serializers.FloatField(help_text="Платёж по ставке банка, ₽")


class BankScoreSerializer(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.code")
    bank_name = serializers.CharField(source="bank.name")
    threshold = serializers.FloatField(source="bank.approval_threshold")
    refused_by_rule = serializers.BooleanField(help_text="Банк откажет по своим условиям (стоп-правила, лимиты).")
    reasons = ReasonSerializer(many=True)
    offer = OfferSerializer(allow_null=True)
    suggestions = SuggestionSerializer(many=True, help_text="До трёх ближайших сумм и сроков, при которых "
                                                            "банк скорее одобрит (только ниже порога).")

    class Meta:
        model = BankScore
        fields = ["bank", "bank_name", "rank", "probability", "threshold", "verdict", "refused_by_rule",
                  "reasons", "offer", "suggestions"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["reasons"] = [{"feature": r["feature"], "label": r.get("label", r["feature"]),
                            "contribution": r["contribution"], "direction": r.get("direction"),
                            "effect_pp": r.get("effect_pp"), "text": r["text"]} for r in instance.reasons]
        data["offer"] = instance.offer or None
        return data


class RecommendationSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["send", "do_not_send"])
    banks = serializers.ListField(child=serializers.CharField(), help_text="Куда отправить, лучшие первыми.")
    ranking = serializers.ListField(child=serializers.CharField(), help_text="Все банки по порядку.")
    text = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="Главные причины, если отправлять не стоит.")
    suggestion = serializers.DictField(required=False, allow_null=True,
                                       help_text="Лучший вариант суммы и срока, если отправлять не стоит.")


class ApplicationSerializer(serializers.ModelSerializer):
    scores = BankScoreSerializer(many=True, read_only=True)
    error = serializers.CharField(help_text="Причина ошибки, если статус failed.")
    recommendation = RecommendationSerializer(allow_null=True)
    parent = serializers.UUIDField(source="parent_id", allow_null=True,
                                   help_text="Исходная заявка, если эта — вариант суммы и срока.")

    class Meta:
        model = Application
        fields = ["id", "status", "created_at", "scored_at", "parent", "answers", "error", "recommendation",
                  "scores"]

    def to_representation(self, instance):
        if not instance.recommendation:
            instance.recommendation = None  # queued or failed: nothing to recommend yet (not saved)
        return super().to_representation(instance)


class AlternativeSerializer(serializers.Serializer):
    loan_amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Новая сумма, ₽")
    loan_term = serializers.IntegerField(help_text="Новый срок, мес.")
