"""The database tables. Each table names the migration that created it (see migrations.py)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def _table(name: str, migration: int, *columns: sa.schema.SchemaItem) -> sa.Table:
    return sa.Table(name, metadata, *columns, info={"migration": migration})


schema_migrations = _table(
    "schema_migrations",
    1,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

clusters = _table(
    "clusters",
    1,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, server_default="cluster"),
    sa.Column("area", sa.String(200)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

settings = _table(
    "settings",
    1,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("pupils_on_roll", sa.Integer),
    sa.Column("cluster_id", sa.String(80), sa.ForeignKey("clusters.id")),
    sa.Column("area", sa.String(200)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

memberships = _table(
    "memberships",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id"), nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("fee", sa.Float, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Index("ix_memberships_setting", "setting_id", "starts_on"),
)

setting_licences = _table(
    "setting_licences",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id"), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date),
    sa.Column("granted_by", sa.String(200), nullable=False),
    sa.Column("granted_at", sa.DateTime, nullable=False),
    sa.Column("revoked_on", sa.Date),
    sa.Column("revoked_reason", sa.Text),
)

people = _table(
    "people",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), unique=True),
    sa.Column("area", sa.String(200)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

affiliations = _table(
    "affiliations",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id"), nullable=False),
    sa.Column("position", sa.String(80), nullable=False),
    sa.Column("since", sa.Date),
    sa.Column("until", sa.Date),
    sa.UniqueConstraint("person_id", "setting_id", "position", name="uq_affiliation"),
    sa.Index("ix_affiliations_setting", "setting_id"),
)

completions = _table(
    "completions",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("course_id", sa.String(80), nullable=False),
    sa.Column("completed_on", sa.Date, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False, server_default=""),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("completions.id"), unique=True),
    sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reason", sa.Text),
    # Covering index for the bulk eligibility query (person, course, date).
    sa.Index("ix_completions_person_course", "person_id", "course_id", "completed_on"),
)

awards = _table(
    "awards",
    1,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("role_id", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id")),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date),
    sa.Column("granted_by", sa.String(200), nullable=False),
    sa.Column("granted_at", sa.DateTime, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False, server_default="[]"),
    sa.Column("supersedes_id", sa.String(36), sa.ForeignKey("awards.id"), unique=True),
    sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reason", sa.Text),
    sa.Index("ix_awards_person", "person_id", "role_id"),
)

award_revocations = _table(
    "award_revocations",
    1,
    sa.Column("award_id", sa.String(36), sa.ForeignKey("awards.id"), primary_key=True),
    sa.Column("revoked_on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("revoked_by", sa.String(200), nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=False),
)

applications = _table(
    "applications",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("role_id", sa.String(80), nullable=False),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id")),
    sa.Column("submitted_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_on", sa.Date),
    sa.Column("reason", sa.Text),
    sa.Index("ix_applications_person", "person_id"),
)

action_plans = _table(
    "action_plans",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),
    sa.Column("created_by", sa.String(200), nullable=False),
)

action_items = _table(
    "action_items",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("action_plans.id"), nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("due_on", sa.Date),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("characteristic", sa.Integer),
)

documented_cases = _table(
    "documented_cases",
    1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("reference", sa.String(40), nullable=False),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("last_reviewed_on", sa.Date),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("person_id", "reference", name="uq_case_reference"),
)

# ---------------------------------------------------------------- migration 4: impact evidence
impact_responses = _table(
    "impact_responses",
    4,
    sa.Column("id", sa.Integer, primary_key=True),
    # The pseudonymous code the learner typed (never a name); person_id only if linked later.
    sa.Column("pseudonym", sa.String(40), nullable=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("course_id", sa.String(80), nullable=False),
    sa.Column("cohort", sa.String(80), nullable=False),
    sa.Column("stage", sa.String(4), nullable=False),  # pre | post
    sa.Column("item", sa.String(40), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),  # Likert 1-5
    sa.Column("answered_on", sa.Date, nullable=False),
    sa.Column("source", sa.String(1000), nullable=False),  # the answers file it came from
    sa.Column("source_sha256", sa.String(64), nullable=False),
    sa.Column("collected_by", sa.String(200), nullable=False),
    sa.Column("collected_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint(
        "course_id", "cohort", "stage", "pseudonym", "item", name="uq_impact_response"
    ),
    sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_impact_score"),
    sa.CheckConstraint("stage IN ('pre', 'post')", name="ck_impact_stage"),
    sa.Index("ix_impact_course_cohort", "course_id", "cohort", "item"),
)

# ---------------------------------------------------------------- migration 3: delivery
# Study groups in a setting (or an annual cohort / trainer-led event across settings), their
# learners, scheduled sessions and attendance; the whole-school self-review ("take stock");
# cluster contacts; and consent to appear in the public directory.

study_groups = _table(
    "study_groups",
    3,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("course_id", sa.String(80), nullable=False),
    sa.Column("audience", sa.String(20), nullable=False),  # staff | parents
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id")),  # None: cohort, event
    sa.Column("term", sa.String(20), nullable=False),
    sa.Column("leader_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_study_groups_setting", "setting_id", "term"),
    sa.Index("ix_study_groups_leader", "leader_id"),
)

group_members = _table(
    "group_members",
    3,
    sa.Column("group_id", sa.Integer, sa.ForeignKey("study_groups.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("enrolled_on", sa.Date, nullable=False),
    sa.Column("left_on", sa.Date),
    # The completion that this group's rule recorded (or the assessment pass it rests on).
    sa.Column("completion_id", sa.Integer, sa.ForeignKey("completions.id")),
    sa.Index("ix_group_members_person", "person_id"),
)

group_sessions = _table(
    "group_sessions",
    3,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("study_groups.id"), nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("title", sa.String(200)),
    sa.Column("cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("cancel_reason", sa.Text),
    sa.UniqueConstraint("group_id", "held_on", name="uq_group_session_day"),
)

attendance = _table(
    "attendance",
    3,
    sa.Column("session_id", sa.Integer, sa.ForeignKey("group_sessions.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("present", sa.Boolean, nullable=False),
    sa.Column("recorded_by_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

self_reviews = _table(
    "self_reviews",
    3,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id"), nullable=False),
    sa.Column("reviewed_on", sa.Date, nullable=False),
    sa.Column("reviewed_by", sa.String(200), nullable=False),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("action_plans.id")),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Index("ix_self_reviews_setting", "setting_id", "reviewed_on"),
)

self_review_ratings = _table(
    "self_review_ratings",
    3,
    sa.Column("review_id", sa.Integer, sa.ForeignKey("self_reviews.id"), primary_key=True),
    sa.Column("characteristic", sa.Integer, primary_key=True),  # 1..7, see takestock.py
    sa.Column("rating", sa.Integer, nullable=False),  # 1..4
    sa.Column("evidence", sa.Text, nullable=False),
)

action_item_updates = _table(
    "action_item_updates",
    3,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("action_items.id"), nullable=False),
    sa.Column("updated_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Index("ix_action_item_updates_item", "item_id"),
)

cluster_contacts = _table(
    "cluster_contacts",
    3,
    sa.Column("cluster_id", sa.String(80), sa.ForeignKey("clusters.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("position", sa.String(80), nullable=False),
    sa.Column("since", sa.Date),
)

directory_consents = _table(
    "directory_consents",
    3,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("given_on", sa.Date, nullable=False),
    sa.Column("show_email", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("withdrawn_on", sa.Date),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Index("ix_directory_consents_person", "person_id"),
)

# ---------------------------------------------------------------- migration 2: credentials
credential_status_lists = _table(
    "credential_status_lists",
    2,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("url", sa.String(400), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("published_at", sa.DateTime),
)

credentials = _table(
    "credentials",
    2,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("award_id", sa.String(36), sa.ForeignKey("awards.id"), nullable=False),
    sa.Column("file", sa.String(400), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("document", sa.Text, nullable=False),  # the signed credential, as issued
    sa.Column(
        "status_list_id",
        sa.String(80),
        sa.ForeignKey("credential_status_lists.id"),
        nullable=False,
    ),
    sa.Column("status_index", sa.Integer, nullable=False),
    sa.Column("key_id", sa.String(400), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date),
    sa.Column("issued_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("status_list_id", "status_index", name="uq_credential_status_index"),
    sa.Index("ix_credentials_award", "award_id"),
)

# ------------------------------------------------------------------ assessment (migration 5)
# Rubric marks: one row per reflection answer marked, per marker role. The first marker's score
# and comment also go into the nbgrader gradebook of the course directory (as the formgrader
# writes them); the levels per criterion live only here. `answer_sha256` fingerprints the answer
# that was marked (never its text), so that a resubmitted answer is seen to need marking again.
assessment_marks = _table(
    "assessment_marks",
    5,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("nbgrader_course", sa.String(80), nullable=False),
    sa.Column("assessment_id", sa.String(80), nullable=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("cell_id", sa.String(80), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("levels", sa.Text, nullable=False),
    sa.Column("points", sa.Float, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("answer_sha256", sa.String(64), nullable=False),
    sa.Column("marker", sa.String(200), nullable=False),
    sa.Column("marked_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint(
        "nbgrader_course",
        "assessment_id",
        "person_id",
        "cell_id",
        "role",
        name="uq_assessment_mark",
    ),
)

# Work chosen for moderation: a second marker re-marks it (role "second" in assessment_marks).
assessment_moderations = _table(
    "assessment_moderations",
    5,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("nbgrader_course", sa.String(80), nullable=False),
    sa.Column("assessment_id", sa.String(80), nullable=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("second_marker", sa.String(200), nullable=False),
    sa.Column("selected_by", sa.String(200), nullable=False),
    sa.Column("selected_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint(
        "nbgrader_course", "assessment_id", "person_id", name="uq_assessment_moderation"
    ),
)

# Which passes were synced into completions (and which completion they made or found).
assessment_syncs = _table(
    "assessment_syncs",
    5,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("nbgrader_course", sa.String(80), nullable=False),
    sa.Column("assessment_id", sa.String(80), nullable=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("course_id", sa.String(80), nullable=False),
    sa.Column("completion_id", sa.Integer, sa.ForeignKey("completions.id")),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("max_score", sa.Float, nullable=False),
    sa.Column("synced_by", sa.String(200), nullable=False),
    sa.Column("synced_at", sa.DateTime, nullable=False),
    # The day the pass was made (the last marking), added by migration 8: a pass is recorded
    # for itself, and becomes a completion only when the course's whole rule is met.
    sa.Column("passed_on", sa.Date),
    sa.UniqueConstraint("nbgrader_course", "assessment_id", "person_id", name="uq_assessment_sync"),
)

# ------------------------------------------------------------------ trust (migration 7)
# Who may act on which records. `identity` is what the person signs in as (an email or a login
# name); `person_id` links it to their record when they have one. Role is one of the actors in
# `data/permissions.yml`; `setting_id` scopes setting leads and link professionals.
access_grants = _table(
    "access_grants",
    7,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("identity", sa.String(320), nullable=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id")),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id")),
    sa.Column("granted_by", sa.String(200), nullable=False),
    sa.Column("granted_at", sa.DateTime, nullable=False),
    sa.Column("revoked_by", sa.String(200)),
    sa.Column("revoked_at", sa.DateTime),
    sa.Index("ix_access_grants_identity", "identity"),
)

# Every change to every other table, appended by triggers, chained by SHA-256. A record holds no
# personal values: the row's key and a digest of its content, and the actor as a grant, person or
# local account reference. So erasing a person never touches the chain.
audit_log = _table(
    "audit_log",
    7,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),  # insert | update | delete | event
    sa.Column("tbl", sa.String(80), nullable=False),
    sa.Column("row_key", sa.String(200), nullable=False),
    sa.Column("data_sha256", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Signed chain heads: (seq, hash) signed with the issuer key, also exported to files kept elsewhere.
audit_seals = _table(
    "audit_seals",
    7,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("sealed_at", sa.String(32), nullable=False),
    sa.Column("sealed_by", sa.String(200), nullable=False),
    sa.Column("key_id", sa.String(400), nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
)

# A Lead nominates one of their people for a role; the organisation approves (which awards the
# role through the rules) or declines with a reason.
nominations = _table(
    "nominations",
    8,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("role_id", sa.String(80), nullable=False),
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id")),
    sa.Column("nominated_by", sa.String(200), nullable=False),
    sa.Column("nominated_on", sa.Date, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_on", sa.Date),
    sa.Column("reason", sa.Text),
    sa.Column("award_id", sa.String(36)),
    sa.Index("ix_nominations_person", "person_id"),
    sa.Index("ix_nominations_status", "status"),
)


# How a setting's own exports name things: a column ("Staff Type" -> position) or a position
# label ("Site Manager" -> staff), saved by `person import --map` for the next import.
import_mappings = _table(
    "import_mappings",
    9,
    sa.Column("setting_id", sa.String(80), sa.ForeignKey("settings.id"), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),  # column | position
    sa.Column("source", sa.String(200), primary_key=True),  # as compared (header_key)
    sa.Column("target", sa.String(80), nullable=False),
    sa.Column("saved_by", sa.String(200), nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
)


# A learner who missed a session caught it up in the way the course's catalogue entry says;
# counted as attended, up to the number of sessions the course allows.
catch_ups = _table(
    "catch_ups",
    11,
    sa.Column("session_id", sa.Integer, sa.ForeignKey("group_sessions.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    sa.Column("caught_up_on", sa.Date, nullable=False),
    sa.Column("recorded_by_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)
