"""Typed editors for one column action's settings: spin boxes for numbers, drop-downs for
choices, check boxes for yes/no, text fields only for names and labels.

``ActionEditor.edit(column, action)`` shows the settings of ``action`` (the recipe's action
dict) for ``column``; every change emits ``changed`` with the new dict. Settings the editor
does not show (a hierarchy's category groups, an interval hierarchy's start) are kept as they
came, so a recipe loaded from a file loses nothing by passing through the wizard.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import QRegularExpression, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget)

from ...services import plain

KEY_NAME = QRegularExpression(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$")
NO_PERSON = "each row on its own"


class ActionEditor(QWidget):
    changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.column = ""
        self.columns: list[str] = []
        self.action: dict = {"type": "keep"}
        self.fields: dict[str, QWidget] = {}
        self._loading = False

    # -- building ---------------------------------------------------------------------------
    def edit(self, column: str, action: dict, columns: list[str]) -> None:
        self.column, self.columns = column, list(columns)
        self.action = copy.deepcopy(action)
        self._loading = True
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        build = getattr(self, f"_build_{self.action['type']}", None)
        if build is None:
            self.form.addRow(QLabel(plain.ACTION_HELP.get(self.action["type"], "") +
                                    " There is nothing to set."))
        else:
            self.form.addRow(QLabel(plain.ACTION_HELP[self.action["type"]]))
            build()
        self._loading = False

    def _row(self, key: str, widget: QWidget, *, label: str | None = None) -> QWidget:
        text = label or plain.setting_label(self.action["type"], key)
        caption = QLabel(f"{text}:")
        caption.setBuddy(widget)
        widget.setAccessibleName(f"{self.column}: {text}")
        self.form.addRow(caption, widget)
        self.fields[key] = widget
        return widget

    def _spin(self, key: str, lo: int, hi: int, default: int, **kw) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setValue(int(self.action.get(key, default)))
        spin.valueChanged.connect(lambda v: self._set(key, v))
        return self._row(key, spin, **kw)

    def _text(self, key: str, default: str = "", *, max_length: int = 100,
              validator=None, **kw) -> QLineEdit:
        edit = QLineEdit(str(self.action.get(key, default)))
        edit.setMaxLength(max_length)
        edit.setMinimumWidth(40 if max_length == 1 else 320)
        if validator is not None:
            edit.setValidator(QRegularExpressionValidator(validator, edit))
        edit.textChanged.connect(lambda v: self._set(key, v))
        return self._row(key, edit, **kw)

    def _optional(self, key: str, text: str, spin) -> None:
        """A setting that may be left out: a check box that turns it on, and its number."""
        check = QCheckBox(text)
        check.setChecked(key in self.action)
        spin.setEnabled(check.isChecked())
        check.setAccessibleName(f"{self.column}: {text}")
        spin.setAccessibleName(f"{self.column}: {text} (value)")

        def sync(*_):
            spin.setEnabled(check.isChecked())
            self._set(key, _whole(spin.value()) if check.isChecked() else None)
        check.toggled.connect(sync)
        spin.valueChanged.connect(sync)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(check)
        line.addWidget(spin, 1)
        self.form.addRow(row)
        self.fields[key] = spin
        self.fields[key + "_on"] = check

    def _optional_int(self, key: str, text: str, default: int, lo: int, hi: int) -> None:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setValue(int(self.action.get(key, default)))
        self._optional(key, text, spin)

    def _optional_number(self, key: str, text: str, default: float) -> None:
        spin = QDoubleSpinBox()
        spin.setRange(-1e12, 1e12)
        spin.setDecimals(2)
        spin.setValue(float(self.action.get(key, default)))
        self._optional(key, text, spin)

    def _build_mask(self) -> None:
        self._spin("keep_first", 0, 100, 0)
        self._spin("keep_last", 0, 100, 0)
        self._text("char", "*", max_length=1)

    def _build_fixed(self) -> None:
        self._text("pattern", "", max_length=200)

    def _build_pseudonym(self) -> None:
        self._text("key", validator=KEY_NAME,
                   label="Key name (the same name always gives the same codes)")
        self._text("prefix", max_length=20)

    def _build_date_shift(self) -> None:
        self._spin("max_days", 1, 3650, 30)
        person = QComboBox()
        person.addItem(NO_PERSON, None)
        for col in self.columns:
            if col != self.column:
                person.addItem(col, col)
        person.setCurrentIndex(max(0, person.findData(self.action.get("person"))))
        person.currentIndexChanged.connect(lambda _i: self._set("person", person.currentData()))
        self._row("person", person)
        self._text("key", validator=KEY_NAME,
                   label="Key name (the same name always gives the same shifts)")

    def _build_year(self) -> None:
        self._optional_int("bottom", "Group years before", 1937, 1, 9999)

    def _build_zip3(self) -> None:
        check = QCheckBox("Sparsely populated areas (under 20,000 people) become 000")
        check.setChecked(bool(self.action.get("restricted_to_000", True)))
        check.toggled.connect(lambda on: self._set("restricted_to_000", on))
        check.setAccessibleName(f"{self.column}: sparsely populated areas become 000")
        self.form.addRow(check)
        self.fields["restricted_to_000"] = check

    def _build_top_bottom_code(self) -> None:
        self._optional_number("top", "Cap values above", 89)
        self._text("top_label", f">{_whole(self.action.get('top', 89))}", max_length=50)
        self._optional_number("bottom", "Cap values below", 0)
        self._text("bottom_label", f"<{_whole(self.action.get('bottom', 0))}", max_length=50)

    def _build_generalize(self) -> None:
        spec = self.action.setdefault("hierarchy", {"kind": "auto"})
        kind = QComboBox()
        for key, label in plain.HIERARCHY_KINDS.items():
            if key != "categories" or spec.get("kind") == "categories":
                kind.addItem(label, key)
        kind.setCurrentIndex(max(0, kind.findData(spec.get("kind", "auto"))))
        kind.currentIndexChanged.connect(lambda _i: self._set_kind(kind.currentData()))
        self._row("kind", kind)
        kind_now = spec.get("kind", "auto")
        if kind_now == "intervals":
            width = QDoubleSpinBox()
            width.setRange(0.01, 1e9)
            width.setDecimals(2)
            widths = spec.get("widths") or [5]
            width.setValue(float(widths[0]))
            width.valueChanged.connect(self._set_width)
            self._row("widths", width, label="Band width (then 2× and 4× as wide)")
        elif kind_now == "dates":
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            chosen = spec.get("levels") or list(plain.DATE_STEPS[:3])
            for step in plain.DATE_STEPS:
                box = QCheckBox(step.capitalize())
                box.setChecked(step in chosen)
                box.setAccessibleName(f"{self.column}: by {step}")
                box.toggled.connect(lambda _on: self._set_date_steps())
                line.addWidget(box)
                self.fields[f"level_{step}"] = box
            line.addStretch(1)
            caption = QLabel("Date steps:")
            self.form.addRow(caption, row)
        elif kind_now == "redaction":
            step = QSpinBox()
            step.setRange(1, 10)
            step.setValue(int(spec.get("step", 1)))
            step.valueChanged.connect(lambda v: self._set_spec("step", v))
            self._row("step", step)
        elif kind_now == "file":
            path = QLineEdit(spec.get("file", ""))
            path.setPlaceholderText("an ARX hierarchy file (.csv)")
            path.textChanged.connect(lambda v: self._set_spec("file", v))
            browse = QPushButton("&Browse…")
            browse.clicked.connect(lambda: self._browse(path))
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(path, 1)
            line.addWidget(browse)
            path.setAccessibleName(f"{self.column}: hierarchy file")
            caption = QLabel("Hierarchy &file:")
            caption.setBuddy(path)
            self.form.addRow(caption, row)
            self.fields["file"] = path
        self._optional_int("level", "Fixed level instead of letting the privacy model choose",
                           1, 0, 20)

    # -- changes ----------------------------------------------------------------------------
    def _set(self, key: str, value) -> None:
        if value is None or value == "" and key in ("prefix", "char"):
            self.action.pop(key, None)
        else:
            self.action[key] = value
        self._emit()

    def _set_spec(self, key: str, value) -> None:
        self.action.setdefault("hierarchy", {"kind": "auto"})[key] = value
        self._emit()

    def _set_kind(self, kind: str) -> None:
        spec = {"kind": kind}
        if kind == "intervals":
            spec["widths"] = [5, 10, 20]
        elif kind == "dates":
            spec["levels"] = list(plain.DATE_STEPS[:3])
        elif kind == "redaction":
            spec["step"] = 1
        elif kind == "file":
            spec["file"] = ""
        self.action["hierarchy"] = spec
        self._emit()
        # the new kind's settings, once the combo that asked has finished its signal
        QTimer.singleShot(0, lambda: self.edit(self.column, self.action, self.columns))

    def _set_width(self, width: float) -> None:
        spec = self.action.setdefault("hierarchy", {"kind": "intervals"})
        w = _whole(width)
        spec["widths"] = [w, _whole(2 * width), _whole(4 * width)]
        self._emit()

    def _set_date_steps(self) -> None:
        steps = [s for s in plain.DATE_STEPS if self.fields[f"level_{s}"].isChecked()]
        self._set_spec("levels", steps or [plain.DATE_STEPS[2]])

    def _browse(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Hierarchy for {self.column}", "",
                                              "Hierarchy (*.csv);;All files (*)")
        if path:
            edit.setText(path)

    def _emit(self) -> None:
        if not self._loading:
            self.changed.emit(copy.deepcopy(self.action))


def _whole(value):
    """5.0 → 5 (a whole number stays an integer in the recipe)."""
    value = float(value)
    return int(value) if value.is_integer() else value
