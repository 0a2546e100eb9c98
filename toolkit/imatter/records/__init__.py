"""What happened: settings, people, completions, awards, applications and cases.

Each function is one use case in one transaction. The CLI, notebooks and dashboards call these.
"""

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


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """`records.award_role` moved to `imatter.services.awards` (0.3.0); the old name works."""
    if name == "award_role":
        from ..services.awards import award_role

        return award_role
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
