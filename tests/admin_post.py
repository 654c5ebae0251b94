"""What the admin's bank and field pages submit, built the way a browser would."""


def rules_post(rules: list[dict], *, initial: int = 0) -> dict:
    """The rules inline's POST data: one row per rule ({field, operator, value, reason, DELETE?})."""
    data = {"rules-TOTAL_FORMS": str(len(rules)), "rules-INITIAL_FORMS": str(initial),
            "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000"}
    for i, rule in enumerate(rules):
        for name, value in rule.items():
            data[f"rules-{i}-{name}"] = value
    return data


def change_page_post(client, url: str) -> dict:
    """The bank's change page submitted unchanged: every field and every rule row as shown."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = field.prepare_value(value) if name == "terms" else value
    rows = [{name: (f[name].value() or "") for name in ("field", "operator", "value", "reason")}
            for f in form.rules_formset.initial_forms]
    data.update(rules_post(rows, initial=len(rows)))
    return data
