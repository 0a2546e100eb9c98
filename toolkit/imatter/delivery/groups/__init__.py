"""Delivery in a setting: study groups, their sessions, attendance and the completion rule.

- `core`: create a group (a Lead, Trainee Lead or Trainer leads it), enrol, schedule sessions;
- `attendance`: mark a register, import registers from CSV (all or nothing), read them;
- `catchup`: a missed session caught up, as the course's catalogue entry allows;
- `rules`: the pure completion rule (attendance share, assessment, the group a trainee led);
- `completion`: apply the rule to a group and record completions; trainer-led events.
"""

from .attendance import (
    Register,
    RegisterImport,
    import_attendance,
    record_attendance,
    register,
    write_register_template,
)
from .catchup import catch_ups_used, record_catch_up
from .completion import (
    CompletionOutcome,
    EventResult,
    GroupStatus,
    academic_year,
    complete_group,
    group_completion_status,
    learner_status,
    my_groups,
    record_event,
)
from .core import (
    Group,
    GroupSummary,
    Learner,
    Session,
    cancel_session,
    create_group,
    enrol,
    leave,
    list_groups,
    schedule_sessions,
    weekly_dates,
)
from .rules import Progress, sessions_required

__all__ = [
    "CompletionOutcome",
    "EventResult",
    "Group",
    "GroupStatus",
    "GroupSummary",
    "Learner",
    "Progress",
    "Register",
    "RegisterImport",
    "Session",
    "academic_year",
    "cancel_session",
    "catch_ups_used",
    "complete_group",
    "create_group",
    "enrol",
    "group_completion_status",
    "import_attendance",
    "learner_status",
    "leave",
    "list_groups",
    "my_groups",
    "record_attendance",
    "record_catch_up",
    "record_event",
    "register",
    "schedule_sessions",
    "sessions_required",
    "weekly_dates",
    "write_register_template",
]
