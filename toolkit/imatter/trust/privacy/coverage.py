"""The coverage map: every column that refers to a person, and how it is exported and erased.

A column refers to a person when it holds their id (a foreign key to `people.id`), names who did
something (`recorded_by`, `marker`, `owner`, an access grant's `identity` ...), is one of the
person's own fields, or belongs to them through another table (a credential through its award).
`tests/trust/test_privacy.py` reads the real schema of a migrated database and fails if any such
column is missing here, so a new table or column cannot slip past an export or an erasure.

Free text (reasons, notes, evidence) is not listed one by one: after the map is applied, erasure
scans every text column of every table for the person's name, email and sign-in identities.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Match(StrEnum):
    """How the rows a column refers to are found."""

    SELF = "self"  # the person's own row in `people`
    ID = "id"  # the column holds the person's id
    TEXT = "text"  # the column names them: equal to or containing (whole word, any case) their
    # name, email or sign-in identity, or their pseudonym label once erased
    OWN = "own"  # a field of a row whose `person_id` is theirs
    PSEUDONYM = "pseudonym"  # a code standing for them, in their rows and rows sharing the code
    AWARD = "award"  # a field of a row whose `award_id` is one of their awards


class Export(StrEnum):
    """How an export shows the rows found."""

    SUMMARY = "summary"  # in person.json, and people.json/.csv
    ROW = "row"  # the row is about them: every field, as held
    ACTED = "acted"  # they did something to it: the row, with other people's details withheld


class Erase(StrEnum):
    """What an erasure does to the column, in the rows found."""

    KEEP = "keep"  # the id stays: once the people row is erased, the record is pseudonymous
    RENAME = "rename"  # people.name becomes "Erased person <id>"
    PSEUDONYMISE = "pseudonymise"  # the text naming them becomes erased-person-<id>
    CLEAR = "clear"  # set to NULL
    DELETE = "delete"  # the row is deleted
    REVOKE = "revoke"  # the access grant is revoked and its identity pseudonymised
    REDACT = "redact"  # the signed credential is replaced by a stub (id, hash, status index)
    AUDIT = "audit"  # left as it is: the audit chain holds references (grant:N, person:N,
    # local:LOGIN), never names or emails, and is hashed and signed: changing it breaks it


@dataclass(frozen=True)
class Covered:
    """One column that refers to a person, with how it is exported and how it is erased."""

    table: str
    column: str
    match: Match
    export: Export
    erase: Erase
    why: str


def _c(table: str, column: str, match: Match, export: Export, erase: Erase, why: str) -> Covered:
    return Covered(table, column, match, export, erase, why)


SELF, BY_ID, NAMED, OWN = Match.SELF, Match.ID, Match.TEXT, Match.OWN
CODE, OF_AWARD = Match.PSEUDONYM, Match.AWARD
ROW, ACTED, SUMMARY = Export.ROW, Export.ACTED, Export.SUMMARY
KEEP, PSEUDO = Erase.KEEP, Erase.PSEUDONYMISE

COVERAGE: tuple[Covered, ...] = (
    # --- the person's own record
    _c("people", "id", SELF, SUMMARY, KEEP, "the key every other record uses"),
    _c("people", "name", SELF, SUMMARY, Erase.RENAME, "their name"),
    _c("people", "email", SELF, SUMMARY, Erase.CLEAR, "their email address"),
    _c("people", "area", SELF, SUMMARY, Erase.CLEAR, "where they work or live"),
    _c("people", "created_at", SELF, SUMMARY, KEEP, "when the record was made (no personal value)"),
    # --- core records (migration 1)
    _c("affiliations", "person_id", BY_ID, ROW, KEEP, "the settings they belong to"),
    _c("completions", "person_id", BY_ID, ROW, KEEP, "courses they completed"),
    _c("completions", "recorded_by", NAMED, ACTED, PSEUDO, "who recorded a completion"),
    _c("awards", "person_id", BY_ID, ROW, KEEP, "roles and licences awarded to them"),
    _c("awards", "granted_by", NAMED, ACTED, PSEUDO, "who granted an award"),
    _c("award_revocations", "award_id", OF_AWARD, ROW, KEEP, "revocations of their awards"),
    _c("award_revocations", "revoked_by", NAMED, ACTED, PSEUDO, "who revoked an award"),
    _c("applications", "person_id", BY_ID, ROW, KEEP, "their applications for a role"),
    _c("applications", "decided_by", NAMED, ACTED, PSEUDO, "who decided an application"),
    _c("nominations", "person_id", BY_ID, ROW, KEEP, "their nominations for a role"),
    _c("nominations", "nominated_by", NAMED, ACTED, PSEUDO, "who nominated someone"),
    _c("nominations", "decided_by", NAMED, ACTED, PSEUDO, "who decided a nomination"),
    _c("documented_cases", "person_id", BY_ID, ROW, KEEP, "their documented (anonymised) cases"),
    _c("documented_cases", "recorded_by", NAMED, ACTED, PSEUDO, "who recorded a case"),
    _c("memberships", "recorded_by", NAMED, ACTED, PSEUDO, "who recorded a membership"),
    _c("setting_licences", "granted_by", NAMED, ACTED, PSEUDO, "who granted a school licence"),
    _c("action_plans", "created_by", NAMED, ACTED, PSEUDO, "who made an action plan"),
    _c("action_items", "owner", NAMED, ACTED, PSEUDO, "who owns an action"),
    # --- credentials (migration 2): the signed credential names its holder (hashed email)
    _c("credentials", "award_id", OF_AWARD, ROW, KEEP, "credentials issued for their awards"),
    _c(
        "credentials",
        "document",
        OF_AWARD,
        ROW,
        Erase.REDACT,
        "the signed credential as issued; id, hash and status index stay so revocation works",
    ),
    # --- delivery (migration 3)
    _c("study_groups", "leader_id", BY_ID, ACTED, KEEP, "groups they lead"),
    _c("study_groups", "created_by", NAMED, ACTED, PSEUDO, "who created a group"),
    _c("group_members", "person_id", BY_ID, ROW, KEEP, "groups they are enrolled in"),
    _c("attendance", "person_id", BY_ID, ROW, KEEP, "their attendance marks"),
    _c("attendance", "recorded_by_id", BY_ID, ACTED, KEEP, "registers they took"),
    _c("catch_ups", "person_id", BY_ID, ROW, KEEP, "sessions they caught up"),
    _c("catch_ups", "recorded_by_id", BY_ID, ACTED, KEEP, "catch-ups they recorded"),
    _c("self_reviews", "reviewed_by", NAMED, ACTED, PSEUDO, "who made a self-review"),
    _c("action_item_updates", "updated_by", NAMED, ACTED, PSEUDO, "who updated an action"),
    _c("import_mappings", "saved_by", NAMED, ACTED, PSEUDO, "who saved an import mapping"),
    _c("cluster_contacts", "person_id", BY_ID, ROW, KEEP, "clusters they are a contact for"),
    _c(
        "directory_consents",
        "person_id",
        BY_ID,
        ROW,
        Erase.DELETE,
        "their consent to be listed: deleted, so an erased person is never listed",
    ),
    _c("directory_consents", "recorded_by", NAMED, ACTED, PSEUDO, "who recorded a consent"),
    # --- impact evidence (migration 4)
    _c("impact_responses", "person_id", BY_ID, ROW, KEEP, "questionnaire answers linked to them"),
    _c(
        "impact_responses",
        "pseudonym",
        CODE,
        ROW,
        PSEUDO,
        "the code they chose; each becomes ERASED-<id>-<n>, so pre/post pairs still match",
    ),
    _c("impact_responses", "collected_by", NAMED, ACTED, PSEUDO, "who collected the answers"),
    # --- assessment (migration 5)
    _c("assessment_marks", "person_id", BY_ID, ROW, KEEP, "marks for their reflections"),
    _c(
        "assessment_marks",
        "comment",
        OWN,
        ROW,
        Erase.CLEAR,
        "the marker's comment on their reflection (it may quote it)",
    ),
    _c("assessment_marks", "marker", NAMED, ACTED, PSEUDO, "who marked"),
    _c("assessment_moderations", "person_id", BY_ID, ROW, KEEP, "their work chosen for moderation"),
    _c("assessment_moderations", "second_marker", NAMED, ACTED, PSEUDO, "who moderates"),
    _c("assessment_moderations", "selected_by", NAMED, ACTED, PSEUDO, "who chose the sample"),
    _c("assessment_syncs", "person_id", BY_ID, ROW, KEEP, "their passes synced to completions"),
    _c("assessment_syncs", "synced_by", NAMED, ACTED, PSEUDO, "who synced"),
    # --- completion summary (migration 6, SQLite only): a derived index of completions
    _c("person_course_summary", "person_id", BY_ID, ROW, KEEP, "a summary of their completions"),
    # --- trust (migration 7)
    _c("access_grants", "person_id", BY_ID, ROW, Erase.REVOKE, "what they may see and change"),
    _c("access_grants", "identity", NAMED, ROW, Erase.REVOKE, "what they sign in as"),
    _c("access_grants", "granted_by", NAMED, ACTED, PSEUDO, "who granted access"),
    _c("access_grants", "revoked_by", NAMED, ACTED, PSEUDO, "who revoked access"),
    _c(
        "audit_log",
        "actor",
        NAMED,
        ACTED,
        Erase.AUDIT,
        "who made a change, as grant:N, person:N or local:LOGIN (never a name or email)",
    ),
    _c(
        "audit_seals",
        "sealed_by",
        NAMED,
        ACTED,
        Erase.AUDIT,
        "who sealed the chain head, as a reference like the log's; it is signed, so it stays",
    ),
)

# Tables whose text the erasure's final scan leaves alone: the audit chain (no personal values,
# and it must still verify), the migration history, and `people` (other people's own names are
# never rewritten; the erased person's row is handled by the map).
NOT_SCANNED = frozenset({"audit_log", "audit_seals", "schema_migrations", "people"})


def covered(table: str) -> tuple[Covered, ...]:
    """The map's entries for one table."""
    return tuple(entry for entry in COVERAGE if entry.table == table)


def label(person_id: int) -> str:
    """What text naming an erased person becomes."""
    return f"erased-person-{person_id}"


def erased_name(person_id: int) -> str:
    """The name an erased person's record keeps."""
    return f"Erased person {person_id}"


def coverage_rows() -> list[dict[str, str]]:
    """The map as plain rows (for docs and `--json`)."""
    return [
        {
            "table": e.table,
            "column": e.column,
            "found by": e.match.value,
            "export": e.export.value,
            "erase": e.erase.value,
            "why": e.why,
        }
        for e in COVERAGE
    ]
