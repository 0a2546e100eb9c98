"""What happened: settings, people, completions, awards, applications and cases.

Each function is one use case in one transaction. The CLI, notebooks and dashboards call these.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .awards import (
        add_action_plan,
        add_case,
        apply_for_role,
        decide_application,
        list_awards,
    )
    from .completions import completion_history, correct_completion, record_completion
    from .csv_import import import_completions, import_people
    from .facts import PersonRecords, SettingRecords
    from .load import people_records, person_records, setting_records
    from .people import add_affiliation, add_person, list_people, resolve_person
    from .settings import (
        add_cluster,
        add_membership,
        add_setting,
        grant_setting_licence,
        list_clusters,
        list_settings,
    )
    from .staff_changes import leave_setting, merge_people, update_person

# name -> the module that defines it, imported on first use: a read command imports only
# what it reads with (not SQLAlchemy, when it reads a SQLite file).
_WHERE = {
    "PersonRecords": "facts",
    "SettingRecords": "facts",
    "add_action_plan": "awards",
    "add_affiliation": "people",
    "add_case": "awards",
    "add_cluster": "settings",
    "add_membership": "settings",
    "add_person": "people",
    "add_setting": "settings",
    "apply_for_role": "awards",
    "completion_history": "completions",
    "correct_completion": "completions",
    "decide_application": "awards",
    "grant_setting_licence": "settings",
    "import_completions": "csv_import",
    "import_people": "csv_import",
    "leave_setting": "staff_changes",
    "list_awards": "awards",
    "list_clusters": "settings",
    "list_people": "people",
    "list_settings": "settings",
    "merge_people": "staff_changes",
    "people_records": "load",
    "person_records": "load",
    "record_completion": "completions",
    "resolve_person": "people",
    "setting_records": "load",
    "update_person": "staff_changes",
}

__all__ = [
    "PersonRecords",
    "SettingRecords",
    "add_action_plan",
    "add_affiliation",
    "add_case",
    "add_cluster",
    "add_membership",
    "add_person",
    "add_setting",
    "apply_for_role",
    "completion_history",
    "correct_completion",
    "decide_application",
    "grant_setting_licence",
    "import_completions",
    "import_people",
    "leave_setting",
    "list_awards",
    "list_clusters",
    "list_people",
    "list_settings",
    "merge_people",
    "people_records",
    "person_records",
    "record_completion",
    "resolve_person",
    "setting_records",
    "update_person",
]


def __getattr__(name: str):
    """Each name from its module, on first use; `records.award_role` moved to
    `imatter.services.awards` (0.3.0) and the old name works."""
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    if name == "award_role":
        from ..services.awards import award_role

        return award_role
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
