"""The engine's facts types, kept importable from their old place (they live in eligibility)."""

from ..eligibility.facts import (  # noqa: F401
    ApplicationFact,
    AwardFact,
    CaseFact,
    CompletionFact,
    MemberFacts,
    Period,
    PersonRecords,
    SettingFact,
    SettingRecords,
)
