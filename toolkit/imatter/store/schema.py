"""The database tables. Each table names the migration that created it (see migrations.py)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def _table(name: str, migration: int, *columns: sa.SchemaItem) -> sa.Table:
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
