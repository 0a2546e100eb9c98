"""The Lead's staff list import: upload the school's MIS export as it comes, see how its
columns will be read (and change that; the change is saved for the setting), see every problem
on every row at once, then import. A re-import of next term's export updates the records.

Everything goes through `imatter.records.staff_import` (the same checks, matching and saved
mappings as `imatter person import`), acting as the dashboard's person.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from ..errors import ImatterError, ImportRowError
from ..templates import fragment
from .common import note

# What the command line's --map hint means here: the columns' menus above the preview.
COLUMN_HINT = (
    "To read one of your columns as the missing one, choose its meaning under How the columns "
    "will be read; your choice is remembered for your setting."
)

# What a column can be read as (the import's fields), as the Lead reads them.
FIELD_LABELS = {
    "": "not used",
    "name": "full name",
    "forename": "first name",
    "preferred forename": "preferred first name",
    "surname": "surname",
    "preferred surname": "preferred surname",
    "email": "email",
    "position": "position (staff role)",
    "since": "start date",
    "area": "area",
    "setting": "setting id",
}
CHOOSABLE = ("", "name", "forename", "surname", "email", "position", "since", "area")


class StaffImport:
    """Upload, preview, confirm. `done` is called after an import (to refresh staff lists)."""

    def __init__(self, ws, who: str, done: Callable[[], None] = lambda: None) -> None:
        self.ws = ws
        self.who = who
        self.done = done
        wide = widgets.Layout(width="520px")
        self.setting = widgets.Dropdown(description="Setting", layout=wide)
        self.setting.add_class("imatter-import-setting")
        self.upload = widgets.FileUpload(
            accept=".csv,.txt,.tsv,.xlsx,text/csv,text/plain,text/tab-separated-values,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            multiple=False,
            description="Choose the staff export",
        )
        self.upload.layout = widgets.Layout(width="auto")
        self.upload.add_class("imatter-upload")
        self.received_name = widgets.HTML()
        self.received_name.add_class("imatter-received")
        self.columns_box = widgets.VBox()
        self.columns_box.add_class("imatter-columns")
        self.column_choice: dict[str, widgets.Dropdown] = {}
        self.guessed: dict[str, str] = {}
        self.positions_box = widgets.VBox()
        self.positions_box.add_class("imatter-positions")
        self.position_choice: dict[str, widgets.Dropdown] = {}
        self.check = widgets.Button(description="Check again", layout=widgets.Layout(width="auto"))
        self.check.add_class("imatter-check")
        self.preview = widgets.HTML()
        self.preview.add_class("imatter-import-preview")
        self.confirm = widgets.Button(
            description="Import the staff list",
            button_style="primary",
            disabled=True,
            layout=widgets.Layout(width="auto"),
        )
        self.confirm.add_class("imatter-import-confirm")
        self.result = widgets.HTML()
        self.result.add_class("imatter-import-result")
        self.folder = Path(tempfile.mkdtemp(prefix="imatter-staff-"))
        self.file: Path | None = None
        self.upload.observe(lambda _change: self.received(), names="value")
        self.setting.observe(lambda _change: self.setting_changed(), names="value")
        self.check.on_click(lambda _button: self.check_file())
        self.confirm.on_click(lambda _button: self.run_import())
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    "<p class='muted'>Export the staff list from your school's MIS (SIMS, "
                    "Arbor, Bromcom ...) as a CSV file, a text file separated by tabs or an Excel "
                    "workbook (.xlsx), and "
                    "upload it here as it is. Nothing "
                    "is saved until you press <b>Import the staff list</b>. Next term, upload "
                    "the new export: people already recorded are updated, not added twice.</p>"
                ),
                self.setting,
                widgets.HBox([self.upload]),
                self.received_name,
                self.columns_box,
                self.positions_box,
                self.preview,
                widgets.HBox([self.check, self.confirm]),
                self.result,
            ]
        )
        self.show_columns()

    def __del__(self) -> None:
        shutil.rmtree(getattr(self, "folder", ""), ignore_errors=True)

    def set_settings(self, options: list[tuple[str, str]]) -> None:
        self.setting.options = options
        self.setting.value = options[0][1] if options else None

    # ------------------------------------------------------------------ steps
    def setting_changed(self) -> None:
        """Another setting: its own saved mapping applies, so the positions are asked again."""
        self.position_choice = {}
        self.positions_box.children = ()
        self.show_columns()

    def received(self) -> None:
        """A file was uploaded: keep it (in a private temporary folder) and check it."""
        if not self.upload.value:
            return
        upload = self.upload.value[0]
        name = re.sub(r"[^\w.\- ]", "_", Path(str(upload["name"])).name) or "staff.csv"
        for old in self.folder.iterdir():
            old.unlink()
        self.file = self.folder / name
        self.file.write_bytes(bytes(upload["content"]))
        self.upload.value = ()  # so that the same file can be uploaded again, once fixed
        self.received_name.value = note(f"Checked {name} (nothing is saved yet).", "muted")
        self.result.value = ""
        self.show_columns()

    def show_columns(self) -> None:
        """A dropdown per column of the file, set to how the import will read it."""
        from ..records.staff_import import guess_columns

        self.column_choice = {}
        self.guessed = {}
        if self.file is None or self.setting.value is None:
            self.columns_box.children = ()
            self.preview.value = ""
            self.confirm.disabled = self.check.disabled = True
            return
        try:
            guessed = guess_columns(self.ws.store, self.file, self.setting.value)
        except ImatterError as err:
            self.columns_box.children = ()
            self.preview.value = note(self._short(f"Cannot read the file: {err.message}"), "error")
            self.confirm.disabled = True
            return
        rows = []
        for header, field in guessed:
            if not header or header in self.column_choice:
                continue
            choices = list(dict.fromkeys([*CHOOSABLE, field]))
            box = widgets.Dropdown(
                description=header,
                options=[(FIELD_LABELS.get(c, c), c) for c in choices],
                value=field,
                style={"description_width": "220px"},
                layout=widgets.Layout(width="520px"),
            )
            box.add_class("imatter-column")
            box.observe(lambda _change: self.check_file(), names="value")
            self.column_choice[header] = box
            self.guessed[header] = field
            rows.append(box)
        self.columns_box.children = (
            widgets.HTML(
                "<h4>How the columns will be read</h4><p class='muted'>Change any that are "
                "wrong; your choice is saved for this setting's next imports.</p>"
            ),
            *rows,
        )
        self.check.disabled = False
        self.check_file()

    def mapping(self) -> list[str]:
        """The columns the Lead changed and the positions they named, as the import's
        "HEADER=FIELD" and "LABEL=POSITION" pairs."""
        return [
            f"{header}={box.value or 'ignore'}"
            for header, box in self.column_choice.items()
            if box.value != self.guessed[header]
        ] + [f"{label}={box.value}" for label, box in self.position_choice.items() if box.value]

    def ask_positions(self, details: list[str]) -> None:
        """A dropdown for each position label the import does not know (from its problems)."""
        labels = [
            m.group(1)
            for d in details
            for m in re.finditer(r"unknown position '(.+?)' \(see below\)", d)
        ]
        new = [label for label in dict.fromkeys(labels) if label not in self.position_choice]
        if not new:
            return
        options = [("choose ...", ""), *((t, p) for p, t in self.ws.programme.positions.items())]
        for label in new:
            box = widgets.Dropdown(
                description=label,
                options=options,
                value="",
                style={"description_width": "220px"},
                layout=widgets.Layout(width="520px"),
            )
            box.add_class("imatter-position")
            box.observe(lambda _change: self.check_file(), names="value")
            self.position_choice[label] = box
        self.positions_box.children = (
            widgets.HTML(
                "<h4>Positions the toolkit does not know</h4><p class='muted'>Say what each "
                "is; your choice is saved for this setting's next imports.</p>"
            ),
            *self.position_choice.values(),
        )

    def check_file(self) -> None:
        """Check every row (nothing is written) and say what the import would do."""
        self.confirm.disabled = True
        found = self._run(dry_run=True)
        if found is None:
            return
        self.preview.value = note(
            f"Ready to import: {found.summary}.", "ok imatter-ready"
        ) + self._flagged(found)
        self.confirm.disabled = False

    def run_import(self) -> None:
        """Import for real (all or nothing), saving any changed columns for the setting."""
        self.confirm.disabled = True
        changed = self.mapping()
        found = self._run(dry_run=False)
        if found is None:
            return
        saved = f" Saved {len(changed)} choice(s) for this setting's next imports." * bool(changed)
        self.result.value = note(
            f"Imported the staff list: {found.summary}.{saved}"
        ) + self._flagged(found)
        self.preview.value = ""
        self.guessed = {header: box.value for header, box in self.column_choice.items()}
        self.position_choice = {}  # saved with the import: known from now on
        self.positions_box.children = ()
        self.done()

    # ------------------------------------------------------------------ helpers
    def _run(self, *, dry_run: bool):
        from ..records.staff_import import MAP_HINT, import_people

        if self.file is None or self.setting.value is None:
            return None
        try:
            return import_people(
                self.ws.store,
                self.ws.programme,
                self.file,
                setting=self.setting.value,
                mapping=self.mapping(),
                saved_by=self.who,
                dry_run=dry_run,
            )
        except ImportRowError as err:
            self.ask_positions(err.details)
            hints = [
                COLUMN_HINT if h == MAP_HINT else h
                for h in err.hints
                if not h.startswith("Positions not known")
            ]
            self.preview.value = (
                note(self._short(err.message), "error")
                + fragment(
                    "bullets", [self._short(d) for d in err.details], "imatter-import-problems"
                )
                + "".join(note(self._short(h), "warn") for h in hints)
            )
        except ImatterError as err:
            self.preview.value = note(self._short(err.message), "error")
        return None

    def _flagged(self, found) -> str:
        if not found.flagged:
            return ""
        return note(
            "Check these rows: they have no email, so they were matched by name.", "warn"
        ) + fragment("bullets", list(found.flagged), "imatter-flagged")

    def _short(self, text: str) -> str:
        """Messages name the uploaded file, not the temporary folder it is kept in."""
        return text.replace(f"{self.folder}/", "")
