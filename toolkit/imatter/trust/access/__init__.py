"""Who may see and change which records: actors, their grants and the permission matrix.

The matrix (actor x action x scope) is data: `imatter/data/permissions.yml`. The API calls
`require()` before every read and write of people's and settings' records, whoever calls it.
"""

from .actors import (
    AccessGrant,
    Actor,
    Grant,
    acting_as,
    actor_for,
    current_actor,
    grant_access,
    identity,
    list_grants,
    revoke_access,
    use_identity,
)
from .guard import (
    allowed,
    not_found_person,
    not_found_setting,
    person_settings,
    require,
    require_or_missing,
    require_self_or,
    require_visible,
    setting_visible,
    visible_people,
    visible_person_ids,
)
from .policy import SCOPES, Policy, PolicyError, default_policy, parse_policy, policy_path

__all__ = [
    "SCOPES",
    "AccessGrant",
    "Actor",
    "Grant",
    "Policy",
    "PolicyError",
    "acting_as",
    "actor_for",
    "allowed",
    "current_actor",
    "default_policy",
    "grant_access",
    "identity",
    "list_grants",
    "not_found_person",
    "not_found_setting",
    "parse_policy",
    "person_settings",
    "policy_path",
    "require",
    "require_or_missing",
    "require_self_or",
    "require_visible",
    "revoke_access",
    "setting_visible",
    "use_identity",
    "visible_people",
    "visible_person_ids",
]
