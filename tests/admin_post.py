"""What the admin's bank and field pages submit, built the way a browser would."""


def rules_post(rules: list[dict], *, initial: int = 0) -> dict:
    """The rules inline's POST data: one row per rule ({field, operator, value, reason, DELETE?})."""
    data = {"rules-TOTAL_FORMS": str(len(rules)), "rules-INITIAL_FORMS": str(initial),
            "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000"}
    for i, rule in enumerate(rules):
        for name, value in rule.items():
            data[f"rules-{i}-{name}"] = value
    return data


def form_post(form, *, prepared: tuple[str, ...] = ()) -> dict:
    """An admin change form's fields as the browser submits them unchanged: a ticked box as "on", an
    unticked one or an empty value left out; the fields named in prepared as their widget shows them."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = field.prepare_value(value) if name in prepared else value
    return data


def change_page_post(client, url: str) -> dict:
    """The bank's change page submitted unchanged: every field and every rule row as shown."""
    form = client.get(url).context["adminform"].form
    data = form_post(form, prepared=("terms",))
    rows = [{name: (f[name].value() or "") for name in ("field", "operator", "value", "reason")}
            for f in form.rules_formset.initial_forms]
    data.update(rules_post(rows, initial=len(rows)))
    return data


def choose_active_model(client, bank, version):
    """The bank's change page submitted with version chosen as its active model (the response)."""
    url = f"/admin/scoring/bank/{bank.pk}/change/"
    return client.post(url, {**change_page_post(client, url), "active_model": str(version.pk)})


def list_action(client, url: str, action: str, objects):
    """An admin list's action run on the selected objects, as the list page submits it (redirect followed)."""
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objects]}, follow=True)
