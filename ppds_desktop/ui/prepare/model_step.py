"""Step 4 of the Prepare wizard: the privacy model (k, l, t, suppression, objective, method)
and a preview of each quasi-identifier's generalization hierarchy."""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.errors import PPDSError
from ...services import plain
from ..errors import error_line
from ...services import recipes as document
from ...services.recipes import auto_spec, build_hierarchy
from ..widgets.help_label import help_label

PREVIEW_ROWS = 15


def _indented(label: QLabel) -> QLabel:
    label.setContentsMargins(24, 0, 0, 4)
    return label


class ModelStep(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.k_check = QCheckBox("&k-anonymity: every record shares its quasi-identifiers "
                                 "with at least k−1 others")
        self.k_check.setToolTip(
            "k-anonymity: after generalization, each combination of quasi-identifier values "
            "(age band, ZIP prefix, …) appears in at least k records, so anyone matching a "
            "person on those columns finds at least k candidates. Larger k = safer, coarser.")
        self.k_spin = QSpinBox()
        self.k_spin.setRange(2, 1000)
        self.k_spin.setValue(5)
        self.l_check = QCheckBox("&l-diversity of the sensitive column")
        self.l_check.setToolTip(
            "l-diversity: inside each group of look-alike records the sensitive column has at "
            "least l different values, so knowing someone is in the group does not reveal, "
            "say, their diagnosis. 'distinct' counts values; 'entropy' also needs them evenly "
            "spread; 'recursive (c,l)' limits how dominant the most common value may be.")
        self.l_spin = QDoubleSpinBox()
        self.l_spin.setRange(1.0, 100.0)
        self.l_spin.setValue(2.0)
        self.l_variant = QComboBox()
        for label, key in (("distinct values", "distinct"), ("entropy", "entropy"),
                           ("recursive (c, l)", "recursive")):
            self.l_variant.addItem(label, key)
        self.l_variant.setAccessibleName("l-diversity variant")
        self.l_spin.setAccessibleName("l: different sensitive values per group")
        self.c_spin = QDoubleSpinBox()
        self.c_spin.setRange(0.01, 100.0)
        self.c_spin.setValue(3.0)
        self.t_check = QCheckBox("&t-closeness of the sensitive column")
        self.t_check.setToolTip(
            "t-closeness: in each group of look-alike records, the sensitive column's "
            "distribution differs from the whole table's by at most t (0 = identical, 1 = "
            "anything). Smaller t = less is learned from group membership. Distance: 'equal' "
            "for categories, 'ordered' for numbers, 'hierarchical' uses the column's hierarchy.")
        self.t_spin = QDoubleSpinBox()
        self.t_spin.setRange(0.001, 1.0)
        self.t_spin.setDecimals(3)
        self.t_spin.setSingleStep(0.05)
        self.t_spin.setValue(0.2)
        self.t_distance = QComboBox()
        for label, key in (("equal distance (categories)", "equal"),
                           ("ordered distance (numbers)", "ordered"),
                           ("hierarchical (uses the hierarchy)", "hierarchical")):
            self.t_distance.addItem(label, key)
        self.t_distance.setAccessibleName("t-closeness distance")
        self.t_spin.setAccessibleName("t: largest difference from the whole table")
        self.k_spin.setAccessibleName("k: smallest group size")
        self.sensitive_combo = QComboBox()
        self.sensitive_combo.setToolTip("The sensitive column l-diversity and t-closeness "
                                        "protect, or every column whose role is sensitive")
        self.suppression = QDoubleSpinBox()
        self.suppression.setRange(0.0, 100.0)
        self.suppression.setSuffix(" %")
        self.suppression.setValue(5.0)
        self.suppression.setToolTip(
            "Suppression: records that would still stand out are removed from the release "
            "instead of coarsening every record further. This is the largest share of rows "
            "that may be removed; 0 % forces the model on every row.")
        self.objective = QComboBox()
        for label, key in (("Loss (ARX, default)", "loss"), ("Discernibility", "discernibility"),
                           ("Non-uniform entropy", "entropy")):
            self.objective.addItem(label, key)
        self.objective.setToolTip(
            "What 'best' means among the transformations that satisfy the model. Loss (as in "
            "ARX): the share of detail removed by generalization and suppression, 0 = nothing "
            "removed, 1 = everything. Discernibility penalizes large groups; non-uniform "
            "entropy measures the information lost per value.")
        self.method = QComboBox()
        self.method.addItem("Optimal full-domain generalization", "optimal")
        self.method.addItem("Mondrian local recoding (k and distinct l)", "mondrian")
        self.method.setToolTip(
            "Optimal: one generalization level per column for the whole table (the same age "
            "bands everywhere). Mondrian: splits the table into boxes and coarsens each box "
            "only as much as needed; finer, but bands differ between records.")

        for w in (self.k_spin, self.l_spin, self.c_spin, self.t_spin, self.suppression):
            w.setMaximumWidth(110)
        for w in (self.l_variant, self.t_distance):
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.c_label = QLabel("c")
        self.c_label.setBuddy(self.c_spin)
        self.c_spin.setAccessibleName("c: how dominant the commonest value may be")
        self.l_variant.currentIndexChanged.connect(
            lambda _i: self._variant_changed(self.l_variant.currentData()))
        self._variant_changed(self.l_variant.currentData())
        form = QFormLayout()
        intro = QLabel("Quasi-identifiers (age, ZIP, dates…) are coarsened level by level until "
                       "the model holds; the search keeps the most detail it can.")
        intro.setWordWrap(True)
        form.addRow(intro)
        for widgets, term in (((self.k_check, self.k_spin), "k-anonymity"),
                              ((self.l_check, self.l_spin, self.l_variant, self.c_label,
                                self.c_spin), "l-diversity"),
                              ((self.t_check, self.t_spin, self.t_distance), "t-closeness")):
            row = QHBoxLayout()
            for w in widgets:
                row.addWidget(w)
            row.addStretch(1)
            form.addRow(row)
            form.addRow(_indented(help_label(plain.explain(term))))
        for text, widget, term in (("l and t &protect:", self.sensitive_combo, "sensitive"),
                                   ("&Suppress at most:", self.suppression, "suppression"),
                                   ("Search &objective:", self.objective, "objective"),
                                   ("&Method:", self.method, "method")):
            label = QLabel(text)
            label.setBuddy(widget)
            label.setToolTip(widget.toolTip())
            form.addRow(label, widget)
            form.addRow("", help_label(plain.explain(term)))
        model_box = QGroupBox("Privacy model")
        model_box.setLayout(form)

        self.qi_combo = QComboBox()
        self.qi_combo.setToolTip("Quasi-identifiers, then sensitive columns (whose hierarchy "
                                 "hierarchical t-closeness uses)")
        self.qi_combo.currentTextChanged.connect(self._show_hierarchy)
        self.load_button = QPushButton("Use an &ARX hierarchy file…")
        self.load_button.clicked.connect(self._choose_file)
        self.hierarchy_info = QLabel()
        self.hierarchy_info.setWordWrap(True)
        self.preview = QTableWidget(0, 0)
        self.preview.verticalHeader().setVisible(False)
        top = QHBoxLayout()
        column_label = QLabel("&Column:")
        column_label.setBuddy(self.qi_combo)
        top.addWidget(column_label)
        top.addWidget(self.qi_combo, 1)
        top.addWidget(self.load_button)
        hbox = QVBoxLayout()
        hbox.addLayout(top)
        hbox.addWidget(self.hierarchy_info)
        hbox.addWidget(self.preview)
        hier_box = QGroupBox("Generalization hierarchies (preview: first rows)")
        hier_box.setLayout(hbox)

        layout = QVBoxLayout(self)
        layout.addWidget(model_box)
        layout.addWidget(hier_box, 1)
        self._frame = None
        self._specs: dict[str, dict] = {}
        self._sensitive: set[str] = set()

    def _variant_changed(self, variant: str | None) -> None:
        self.c_label.setVisible(variant == "recursive")
        self.c_spin.setVisible(variant == "recursive")

    # -- recipe in / out --------------------------------------------------------------------
    def load(self, recipe: dict, frame) -> None:
        self._frame = frame
        privacy = recipe.get("privacy", {})
        self.k_check.setChecked("k" in privacy)
        self.k_spin.setValue(int(privacy.get("k", self.k_spin.value())))
        self.l_check.setChecked("l" in privacy)
        if "l" in privacy:
            self.l_spin.setValue(float(privacy["l"]["l"]))
            self.l_variant.setCurrentIndex(self.l_variant.findData(
                privacy["l"].get("variant", "distinct")))
            self.c_spin.setValue(float(privacy["l"].get("c", self.c_spin.value())))
        self.t_check.setChecked("t" in privacy)
        if "t" in privacy:
            self.t_spin.setValue(float(privacy["t"]["t"]))
            self.t_distance.setCurrentIndex(self.t_distance.findData(
                privacy["t"].get("distance", "equal")))
        if "suppression_limit" in privacy:
            self.suppression.setValue(100.0 * privacy["suppression_limit"])
        self.objective.setCurrentIndex(max(0, self.objective.findData(
            privacy.get("objective", "loss"))))
        self.method.setCurrentIndex(max(0, self.method.findData(privacy.get("method", "optimal"))))
        sensitive = document.sensitive_columns(recipe)
        self.sensitive_combo.clear()
        if not sensitive:
            self.sensitive_combo.addItem("no sensitive column (set a role on the previous page)",
                                         None)
        else:
            self.sensitive_combo.addItem(f"every sensitive column ({len(sensitive)})", None)
            for col in sensitive:
                self.sensitive_combo.addItem(col, col)
            chosen = (privacy.get("l") or privacy.get("t") or {}).get("column")
            if chosen in sensitive:
                self.sensitive_combo.setCurrentIndex(self.sensitive_combo.findData(chosen))
        self._specs = {}
        self._sensitive = set(sensitive)
        actions = document.column_actions(recipe)
        for col in document.quasi_identifiers(recipe):
            act = actions[col]["action"]
            if act["type"] == "generalize" and "level" not in act:
                self._specs[col] = act.get("hierarchy", {"kind": "auto"})
        for col in sensitive:
            if "hierarchy" in recipe["columns"].get(col, {}):
                self._specs[col] = recipe["columns"][col]["hierarchy"]
        self.qi_combo.blockSignals(True)
        self.qi_combo.clear()
        self.qi_combo.addItems(document.quasi_identifiers(recipe))
        for col in sensitive:                  # their hierarchy serves hierarchical t
            self.qi_combo.addItem(col)
        self.qi_combo.blockSignals(False)
        self._show_hierarchy(self.qi_combo.currentText())

    def apply(self, recipe: dict) -> None:
        privacy = {}
        if self.k_check.isChecked():
            privacy["k"] = self.k_spin.value()
        if self.l_check.isChecked():
            privacy["l"] = {"l": self.l_spin.value(), "variant": self.l_variant.currentData()}
            if self.l_variant.currentData() == "recursive":
                privacy["l"]["c"] = self.c_spin.value()
        if self.t_check.isChecked():
            privacy["t"] = {"t": self.t_spin.value(), "distance": self.t_distance.currentData()}
        column = self.sensitive_combo.currentData()
        for model in ("l", "t"):
            if column and model in privacy:
                privacy[model]["column"] = column
        if privacy:
            privacy["suppression_limit"] = round(self.suppression.value() / 100.0, 6)
            privacy["objective"] = self.objective.currentData()
            privacy["method"] = self.method.currentData()
            recipe["privacy"] = privacy
        else:
            recipe.pop("privacy", None)
        for col, spec in self._specs.items():
            if col in self._sensitive:
                if spec.get("kind") != "auto":
                    recipe["columns"][col]["hierarchy"] = spec
                continue
            entry = recipe["columns"].setdefault(col, {"role": "quasi_identifier"})
            entry["action"] = {"type": "generalize", "hierarchy": spec}

    # -- hierarchy preview ------------------------------------------------------------------
    def set_hierarchy_file(self, column: str, path: str) -> None:
        self._specs[column] = {"kind": "file", "file": path}
        if self.qi_combo.currentText() == column:
            self._show_hierarchy(column)

    def _choose_file(self) -> None:
        col = self.qi_combo.currentText()
        if not col:
            return
        path, _ = QFileDialog.getOpenFileName(self, f"ARX hierarchy for {col}", "",
                                              "Hierarchy (*.csv);;All files (*)")
        if path:
            self.set_hierarchy_file(col, path)

    def _show_hierarchy(self, column: str) -> None:
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        if not column or self._frame is None or column not in self._frame.columns:
            self.hierarchy_info.setText("No quasi-identifiers: set a column's role to "
                                        "Quasi-identifier on the previous page.")
            return
        spec = self._specs.get(column, {"kind": "auto"})
        values = self._frame[column].drop_duplicates()     # the builders need distinct values
        try:
            shown = auto_spec(values) if spec.get("kind") == "auto" else spec
            h = build_hierarchy(shown, values, column=column)
        except PPDSError as exc:
            self.hierarchy_info.setText(f"This hierarchy cannot be built: {error_line(exc)}")
            return
        kind = plain.HIERARCHY_KINDS.get(shown.get("kind"), shown.get("kind"))
        self.hierarchy_info.setText(
            f"{kind}: {h.height} levels (0 = as is, {h.height - 1} = fully hidden), "
            f"{len(h.leaves):,} distinct values. The search picks the level.")
        rows = h.rows()[:PREVIEW_ROWS]
        self.preview.setColumnCount(h.height)
        self.preview.setHorizontalHeaderLabels([f"level {i}" for i in range(h.height)])
        self.preview.setRowCount(len(rows))
        for r, labels in enumerate(rows):
            for c, label in enumerate(labels):
                self.preview.setItem(r, c, QTableWidgetItem(label))
