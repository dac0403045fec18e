"""The Prepare wizard's optional "Encrypt columns" page: writes the recipe's ``encryption``
section (columns, whose public key, scale, range, expected records). The release pipeline then
encrypts those columns and the released table carries them only as ciphertexts."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QListWidget,
                               QListWidgetItem, QSpinBox, QVBoxLayout, QWidget)

from ...services.types import DEFAULT_EXPECTED_RECORDS, DEFAULT_MAX_ABS, DEFAULT_SCALE
from ...services import he
from .he_page import single_key_warning_label


class EncryptionPage(QWidget):
    def __init__(self, state):
        super().__init__()
        self.state = state
        intro = QLabel("Optionally encrypt numeric columns under a Paillier public key (a "
                       "collector's or your own). Recipients can add them up but not read them; "
                       "only the key holder can decrypt combined figures. Every site whose data "
                       "will be combined must use the same settings.")
        intro.setWordWrap(True)
        self.columns = QListWidget()
        self.columns.setObjectName("encryptColumns")
        self.key = QComboBox()
        self.scale = QSpinBox()
        self.scale.setRange(1, 1_000_000)
        self.scale.setValue(DEFAULT_SCALE)
        self.scale.setToolTip("Values are rounded to multiples of 1/scale (100: cents).")
        self.max_abs = QDoubleSpinBox()
        self.max_abs.setRange(1, 1e12)
        self.max_abs.setDecimals(0)
        self.max_abs.setValue(DEFAULT_MAX_ABS)
        self.max_abs.setToolTip("The largest value (ignoring sign) any encrypted column may hold, "
                                "in the column's own unit, e.g. 1,000,000 for a bill in dollars. "
                                "Larger values are refused when the release runs, never wrapped.")
        self.expected = QSpinBox()
        self.expected.setRange(1, 2_000_000_000)
        self.expected.setValue(DEFAULT_EXPECTED_RECORDS)
        self.expected.setToolTip("How many records, over all sites together, may be added up "
                                 "in one sum. Sums over more are refused rather than overflow.")
        form = QFormLayout()
        form.addRow("Public &key:", self.key)
        form.addRow("Sc&ale:", self.scale)
        form.addRow("&Largest absolute value:", self.max_abs)
        form.addRow("&Records over all sites:", self.expected)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("Columns to encrypt:"))
        layout.addWidget(self.columns)
        layout.addLayout(form)
        layout.addWidget(single_key_warning_label())

    def load(self, state) -> None:
        self.state = state
        section = (state.recipe or {}).get("encryption") or {}
        chosen = {c if isinstance(c, str) else c.get("name") for c in section.get("columns", [])}
        self.columns.clear()
        frame = state.frame if state.frame is not None else pd.DataFrame()
        for name in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name]):
                item = QListWidgetItem(str(name))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
                self.columns.addItem(item)
        self.key.clear()
        for label, ref in he.key_choices(state.session.vault):
            self.key.addItem(label, ref)
        if section.get("expected_records"):
            self.expected.setValue(int(section["expected_records"]))

    def checked(self) -> list[str]:
        return [self.columns.item(i).text() for i in range(self.columns.count())
                if self.columns.item(i).checkState() == Qt.CheckState.Checked]

    def problem(self) -> str | None:
        if self.checked() and self.key.count() == 0:
            return ("No Paillier public key is available: import the key holder's identity card "
                    "(after they ran 'Generate key'), or generate one under Encrypted aggregation.")
        return None

    def section(self) -> dict | None:
        columns = self.checked()
        if not columns:
            return None
        return {"columns": [{"name": c, "scale": self.scale.value(),
                             "max_abs": float(self.max_abs.value())} for c in columns],
                "public_key": dict(self.key.currentData()),
                "expected_records": self.expected.value()}

    def apply(self, recipe: dict) -> None:
        section = self.section()
        if section:
            recipe["encryption"] = section
        else:
            recipe.pop("encryption", None)
