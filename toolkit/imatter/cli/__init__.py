"""The `imatter` command: a thin layer that parses, calls the Python API and formats.

Each command group lives in its own module and is registered lazily in `COMMANDS`, so that
`imatter --help` imports none of the heavy libraries. Errors become output in one place: `main`.
"""

from __future__ import annotations

import gc
import importlib
import sys

_collecting = gc.isenabled()
gc.disable()  # importing click makes many objects and no garbage worth collecting
try:
    import click
finally:
    if _collecting:
        gc.enable()

from ..errors import ImatterError  # noqa: E402

# command name -> (module, attribute, one-line help). Modules are imported only when used.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("imatter.cli.core", "init", "Create a workspace with an empty records database."),
    "setting": ("imatter.cli.people", "setting", "Add and list schools and services."),
    "cluster": (
        "imatter.cli.people",
        "cluster",
        "Clusters and ICCs: add, list, view who is trained where, contacts.",
    ),
    "person": (
        "imatter.cli.people",
        "person",
        "Add, list, import (MIS exports too), update and merge people; record leavers.",
    ),
    "complete": (
        "imatter.cli.completions",
        "complete",
        "Record, import and correct course completions.",
    ),
    "status": (
        "imatter.cli.roles",
        "status",
        "What a person holds, what is next, what is missing.",
    ),
    "eligible": (
        "imatter.cli.roles",
        "eligible",
        "Who qualifies for a role now, or is one step away.",
    ),
    "award": ("imatter.cli.roles", "award", "Grant a role when the rules say it is met."),
    "courses": (
        "imatter.cli.programme",
        "courses",
        "The programme's courses: their ids and what completes each.",
    ),
    "roles": (
        "imatter.cli.programme",
        "roles",
        "The programme's roles and licences: their ids and how long each lasts.",
    ),
    "apply": ("imatter.cli.roles", "apply", "Record and decide applications for a role."),
    "nomination": (
        "imatter.cli.nominations",
        "nomination",
        "A Lead nominates someone for a role; the organisation approves or declines.",
    ),
    "case": (
        "imatter.cli.roles",
        "case",
        "Record documented (anonymised) cases for Trainer status.",
    ),
    "membership": ("imatter.cli.core", "membership", "Record a setting's annual membership."),
    "assess": (
        "imatter.cli.assess",
        "assess",
        "Reflective assessments: generate, release, collect, autograde, mark, feedback, sync.",
    ),
    "demo": ("imatter.cli.core", "demo", "Build a demo workspace and print the eligibility table."),
    "keys": ("imatter.cli.credentials", "keys", "Make or rotate the issuer's signing key."),
    "verify": (
        "imatter.cli.credentials",
        "verify",
        "Verify a credential file offline: VALID, or exactly why not.",
    ),
    "revoke": ("imatter.cli.credentials", "revoke", "Revoke an award and its credentials."),
    "credential": (
        "imatter.cli.credentials",
        "credential",
        "Credentials: issue, show, list, certificate, publish, verify, revoke.",
    ),
    "report": (
        "imatter.cli.reports",
        "report",
        "Reports as tables, CSV, XLSX or an HTML page with charts.",
    ),
    "impact": ("imatter.cli.reports", "impact", "Collect and analyse the impact questionnaire."),
    "export": (
        "imatter.cli.reports",
        "export",
        "Export xAPI statements, a setting's credentials, report tables.",
    ),
    "book": ("imatter.cli.book", "book", "Build, preview and check the offline course book."),
    "module": ("imatter.cli.book", "module", "Start, lint and tidy course modules."),
    # Delivery in each setting (groups, attendance, licences, take stock, directory, dashboards).
    "group": (
        "imatter.cli.groups",
        "group",
        "Study groups: create, enrol, schedule, progress, record completions.",
    ),
    "attendance": (
        "imatter.cli.groups",
        "attendance",
        "Take a session's register, or import registers from CSV.",
    ),
    "licences": (
        "imatter.cli.licences",
        "licences",
        "Licence report, renewals, invoices and trainee licence applications.",
    ),
    "takestock": (
        "imatter.cli.takestock",
        "takestock",
        "Whole-school self-review, its action plan and progress on it.",
    ),
    "cluster-view": (
        "imatter.cli.clusters",
        "cluster_view",
        "Who is trained where in a cluster or ICC, and its contacts.",
    ),
    "cluster-contact": (
        "imatter.cli.clusters",
        "cluster_contact",
        "Attach GP safeguarding leads and school nurses to a cluster.",
    ),
    "directory": (
        "imatter.cli.directory",
        "directory",
        "Directory of Lead Professionals and Trainers: consent, search, page.",
    ),
    # Trust: who may do what, the audit chain, privacy rights, backups, hosted deployment.
    "access": (
        "imatter.cli.access",
        "access",
        "Who may see and change which records: grant, revoke, list, check.",
    ),
    "audit": (
        "imatter.cli.access",
        "audit",
        "The tamper-evident audit log: verify, seal (signed head), show.",
    ),
    "privacy": (
        "imatter.cli.privacy",
        "privacy",
        "A person's rights: export everything held about them, or erase it.",
    ),
    "backup": ("imatter.cli.store", "backup", "Copy the live database safely (online backup)."),
    "restore": ("imatter.cli.store", "restore", "Replace the database with a checked backup."),
    "deploy": (
        "imatter.cli.deploy",
        "deploy",
        "Write the JupyterHub and Kubernetes configuration files for a hosted instance.",
    ),
    "dashboard": (
        "imatter.cli.dashboard",
        "dashboard",
        "Serve the Lead, learner and organisation dashboards (Voila).",
    ),
}


# Old spellings kept for one release (0.3.x): they work, but help and the docs show the new one.
HIDDEN_ALIASES: dict[str, str] = {
    "verify": "credential verify",
    "revoke": "credential revoke",
    "cluster-view": "cluster view",
    "cluster-contact": "cluster contact",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if name not in HIDDEN_ALIASES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _help = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    envvar="IMATTER_WORKSPACE",
    type=click.Path(file_okay=False),
    help="Workspace folder (default ./imatter-workspace; env IMATTER_WORKSPACE).",
)
@click.option(
    "--db", envvar="IMATTER_DB", help="Database URL (default: the workspace's SQLite file)."
)
@click.option(
    "--programme",
    envvar="IMATTER_PROGRAMME",
    type=click.Path(dir_okay=False),
    help="Programme file (default: the workspace's, else modules/programme.yml).",
)
@click.option(
    "--as",
    "acting_as",
    metavar="IDENTITY",
    help="Act as this email or login name (default: $IMATTER_USER, else your login name).",
)
@click.version_option(package_name="imatter")
@click.pass_context
def cli(
    ctx: click.Context,
    workspace: str | None,
    db: str | None,
    programme: str | None,
    acting_as: str | None,
) -> None:
    """Author, publish, deliver, assess and record the I Matter programme."""
    ctx.obj = {"workspace": workspace, "db": db, "programme": programme, "as": acting_as}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every ImatterError becomes one line on stderr and its exit code."""
    import contextvars

    # Who is acting (--as) is set for this command only, even when called in-process.
    return contextvars.copy_context().run(_main, argv)


def _main(argv: list[str] | None) -> int:
    try:
        cli.main(args=argv, prog_name="imatter", standalone_mode=False)
    except ImatterError as err:
        click.echo(f"Error: {err.message}", err=True)
        for line in err.details:
            click.echo(f"  {line}", err=True)
        for hint in getattr(err, "hints", ()):
            click.echo(hint, err=True)
        return err.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.exceptions.Exit as err:
        return err.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as err:
        problem = _database_problem(err)
        if problem is None:
            raise
        click.echo(
            f"Error: the records database cannot be used ({problem}); it may be damaged or "
            "changed outside imatter: check it with `imatter audit verify` and restore a backup "
            "with `imatter restore FILE`",
            err=True,
        )
        return 1
    return 0


def _database_problem(err: BaseException) -> str | None:
    """The database's own one-line complaint if `err` came from the database, else None."""
    import sqlite3

    if isinstance(err, sqlite3.DatabaseError):
        return str(err).splitlines()[0]
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(err, sa_exc.DBAPIError):
        return str(err.orig).splitlines()[0] if err.orig else type(err).__name__
    return None


def run() -> None:
    """Console-script entry point."""
    # A command's imports make some 200k objects and almost no garbage: in this process, which
    # ends with the command, collect once per 50k new objects rather than every 700 (Python's
    # default), which cost a read command ~5 ms (benchmarks/startup.py). Long jobs still collect.
    gc.set_threshold(50_000, 20, 20)
    code = main()
    # The process ends here: spare it a last full garbage collection of everything the
    # command built (after a book build that alone takes most of a second).
    gc.freeze()
    sys.exit(code)
