"""Roles: who may do what. Three groups, made by a data migration, carry the permissions.

Views and the API ask these functions (never group names) so that a superuser or a user given a
permission directly is treated the same way as a member of the group.
"""
from functools import wraps

from django.core.exceptions import PermissionDenied

OFFICER = "Кредитный специалист"
ANALYST = "Аналитик"
ADMINISTRATOR = "Администратор"

# Custom permissions declared on Application.Meta.permissions.
VIEW_ALL_APPLICATIONS = "scoring.view_all_applications"
VIEW_PERSONAL_DATA = "scoring.view_personal_data"
VIEW_ANALYTICS = "scoring.view_analytics"
SUBMIT_APPLICATIONS = "scoring.add_application"
MANAGE_MODELS = "scoring.change_modelversion"

# Model names (app "scoring") whose add/change/delete/view permissions administrators get.
ADMINISTERED_MODELS = ("bank", "feature", "modelversion", "importbatch", "historicalapplication")

GROUP_PERMISSIONS = {
    OFFICER: ["add_application", "view_personal_data"],
    ANALYST: ["view_all_applications", "view_analytics"],
    ADMINISTRATOR: ["add_application", "view_all_applications", "view_personal_data", "view_analytics"]
    + [f"{action}_{model}" for model in ADMINISTERED_MODELS for action in ("add", "change", "delete", "view")]
    + ["view_auditentry", "add_trainingrun", "view_trainingrun"],
}


def can_submit(user) -> bool:
    return user.has_perm(SUBMIT_APPLICATIONS)


def can_see_all_applications(user) -> bool:
    return user.has_perm(VIEW_ALL_APPLICATIONS)


def sees_personal_data(user) -> bool:
    """Officers see their own clients' names and phones; analysts see them masked."""
    return user.has_perm(VIEW_PERSONAL_DATA)


def can_see_analytics(user) -> bool:
    return user.has_perm(VIEW_ANALYTICS)


def can_manage_models(user) -> bool:
    return user.has_perm(MANAGE_MODELS)


def permission_required(predicate):
    """View decorator: 403 unless predicate(request.user). Use under login_required."""
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return wrapped
    return decorator
