"""The one clock. Rules never read it: they are given dates. The edges (CLI, dashboards, the
store's record-keeping timestamps, audit entries, file stamps) ask here, so that there is one
place that says what "now" and "today" mean."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Now, in UTC, timezone-aware, to the microsecond."""
    return dt.datetime.now(dt.UTC)


def utcnow() -> dt.datetime:
    """Now, in UTC, to the second, without tzinfo: the timestamp stored in every database."""
    return now().replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """Today's date where the command runs (the default for --on and --as-of)."""
    return dt.date.today()


def stamp(moment: dt.datetime | None = None, *, millis: bool = False) -> str:
    """An ISO 8601 UTC stamp ending in Z, e.g. 2026-12-06T14:05:09Z (or .123Z with millis)."""
    moment = (moment or now()).astimezone(dt.UTC)
    text = (
        moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        if millis
        else moment.strftime("%Y-%m-%dT%H:%M:%S")
    )
    return text + "Z"


def refuse_future(day: dt.date, what: str, *, current: dt.date | None = None) -> None:
    """InvalidValue if the date of something that has already happened is after today."""
    current = current or today()
    if day > current:
        from .errors import InvalidValue

        raise InvalidValue(
            f"{what} {day:%d/%m/%Y} is in the future (today is {current:%d/%m/%Y}); "
            "give the date it happened"
        )
