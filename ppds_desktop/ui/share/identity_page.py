"""The Identity & sharing page: your identity and fingerprint, your card, your peers.

Verification state is shown on every contact, and verifying opens the fingerprint comparison
dialog. Card files are read and written by the same ``services.sharing`` functions as the CLI.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QInputDialog, QLabel, QLineEdit,
                               QMessageBox, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.errors import PPDSError
from ...services.sharing import fingerprint_lines
from ...services.types import KeyChanged
from ...services import plain, sharing
from ..errors import show_error
from ..widgets.file_written import show_file_written
from .fingerprint_view import CompareFingerprintDialog, fingerprint_label


class IdentityContactsPage(QWidget):
    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        title = QLabel("Identity & sharing")
        title.setObjectName("pageTitle")

        # -- your identity ----------------------------------------------------------------------
        self.identity_box = QGroupBox("Your identity")
        self.create_form = QWidget()
        create_layout = QFormLayout(self.create_form)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Your name, e.g. Dr A. Smith")
        self.org_edit = QLineEdit()
        self.org_edit.setPlaceholderText("Your organisation")
        self.create_button = QPushButton("&Create identity")
        self.create_button.clicked.connect(self.create_identity)
        create_layout.addRow("&Name", self.name_edit)
        create_layout.addRow("&Organisation", self.org_edit)
        create_layout.addRow("", self.create_button)
        self.identity_text = QLabel()
        self.identity_text.setWordWrap(True)
        self.fingerprint = fingerprint_label()
        self.export_button = QPushButton("&Export my card…")
        self.export_button.setToolTip("Save your identity card (public keys only) to give to peers")
        self.export_button.clicked.connect(self._export_clicked)
        fingerprint_row = QHBoxLayout()
        fingerprint_row.addWidget(self.fingerprint)
        fingerprint_row.addStretch(1)
        fingerprint_row.addWidget(self.export_button)
        box_layout = QVBoxLayout(self.identity_box)
        box_layout.addWidget(self.identity_text)
        box_layout.addWidget(self.create_form)
        box_layout.addLayout(fingerprint_row)

        # -- sharing actions --------------------------------------------------------------------
        self.share_button = QPushButton("&Share a release…")
        self.share_button.clicked.connect(self.open_share_wizard)
        self.open_button = QPushButton("O&pen a bundle…")
        self.open_button.clicked.connect(self.open_bundle_wizard)
        actions = QHBoxLayout()
        actions.addWidget(self.share_button)
        actions.addWidget(self.open_button)
        actions.addStretch(1)

        # -- contacts -----------------------------------------------------------------------------
        contacts_box = QGroupBox("Contacts")
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Name", "Organisation", "State", "Fingerprint"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Contacts")
        self.import_button = QPushButton("&Import card…")
        self.import_button.clicked.connect(self._import_clicked)
        self.verify_button = QPushButton("&Verify…")
        self.verify_button.clicked.connect(self._verify_clicked)
        self.rename_button = QPushButton("Ren&ame…")
        self.rename_button.clicked.connect(self._rename_clicked)
        self.remove_button = QPushButton("Re&move…")
        self.remove_button.clicked.connect(self._remove_clicked)
        for b in (self.verify_button, self.rename_button, self.remove_button):
            b.setToolTip("Select a contact in the table first")
        self.table.itemSelectionChanged.connect(self._sync_contact_buttons)
        self.table.doubleClicked.connect(lambda *_: self._verify_clicked())
        buttons = QHBoxLayout()
        for b in (self.import_button, self.verify_button, self.rename_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        box_layout = QVBoxLayout(contacts_box)
        box_layout.addWidget(self.table)
        box_layout.addLayout(buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.identity_box)
        layout.addLayout(actions)
        layout.addWidget(contacts_box, 1)
        self.wizard = None
        self.compare_dialog: CompareFingerprintDialog | None = None
        self.key_change_box: QMessageBox | None = None
        self.refresh()

    # -- state ----------------------------------------------------------------------------------
    @property
    def vault(self):
        return self.session.vault

    def refresh(self) -> None:
        ident = sharing.identity_or_none(self.vault)
        self.create_form.setVisible(ident is None)
        self.fingerprint.setVisible(ident is not None)
        self.export_button.setVisible(ident is not None)
        for w in (self.share_button, self.open_button, self.import_button):
            w.setEnabled(ident is not None)
        if ident is None:
            self.identity_text.setText("This vault has no identity yet. Create one to exchange "
                                       "bundles with other sites.")
            self.fingerprint.setText("")
        else:
            org = f" — {ident.organisation}" if ident.organisation else ""
            self.identity_text.setText(f"<b>{escape(ident.display_name)}</b>{escape(org)}. Read "
                                       "this fingerprint to peers who import your card:")
            self.fingerprint.setText(fingerprint_lines(ident.fingerprint))
        contacts = sharing.list_contacts(self.vault)
        self.table.setRowCount(len(contacts))
        for row, c in enumerate(contacts):
            state = "✔ verified" if c.verified else "⚠ UNVERIFIED"
            if c.previous:
                state += f" (keys changed {len(c.previous)}×)"
            for col, text in enumerate([c.name, c.organisation, state, c.fingerprint]):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self._sync_contact_buttons()

    def _sync_contact_buttons(self) -> None:
        """Verify, Rename and Remove act on the selected contact: off while none is selected."""
        chosen = self.selected_contact() is not None
        for b in (self.verify_button, self.rename_button, self.remove_button):
            b.setEnabled(chosen)

    def selected_contact(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else None

    def select_contact(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == name:
                self.table.selectRow(row)
                return

    # -- actions (callable from tests without file dialogs) --------------------------------------
    def create_identity(self) -> None:
        self._guard(lambda: sharing.init_identity(self.vault, self.name_edit.text(),
                                                  self.org_edit.text()))

    def export_card_to(self, path) -> None:
        try:
            written = sharing.export_identity_card(self.vault, path)
        except PPDSError as exc:
            show_error(self, exc)
            return
        self.file_box = show_file_written(self, written, "Identity card",
                                          note="Give it to your partners; read them the "
                                               "fingerprint shown here so they can verify it.")

    def import_card_file(self, path, *, accept_key_change: bool = False):
        """Import a card; a key change opens a warning whose "Accept new keys" re-imports."""
        try:
            contact = sharing.import_contact_card(self.vault, path,
                                                  accept_key_change=accept_key_change)
        except KeyChanged as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "Key change", plain.error_text(exc),
                              parent=self)
            box.setInformativeText("Accept the new keys only if the sender confirmed the new "
                                   "fingerprint to you by phone or in person.")
            accept = box.addButton("Accept new keys", QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.buttonClicked.connect(
                lambda button: button is accept and self.import_card_file(path,
                                                                          accept_key_change=True))
            box.open()
            self.key_change_box = box
            return None
        except PPDSError as exc:
            show_error(self, exc, title="Import card")
            return None
        self.refresh()
        self.select_contact(contact.name)
        return contact

    def verify_contact(self, name: str, typed: str | None = None) -> None:
        self._guard(lambda: sharing.verify_contact(self.vault, name, typed))

    # -- buttons -------------------------------------------------------------------------------------
    def _export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save identity card",
                                              f"my-card{sharing.CARD_SUFFIX}",
                                              f"Identity cards (*{sharing.CARD_SUFFIX})")
        if path:
            self.export_card_to(path)

    def _import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import identity card", "",
                                              f"Identity cards (*{sharing.CARD_SUFFIX});;All files (*)")
        if path:
            self.import_card_file(path)

    def _verify_clicked(self) -> None:
        name = self.selected_contact()
        if not name:
            return
        contact = sharing.get_contact(self.vault, name)
        dialog = CompareFingerprintDialog(contact.name, contact.fingerprint, self)
        dialog.accepted.connect(lambda: self.verify_contact(name, dialog.typed_fingerprint))
        dialog.open()
        self.compare_dialog = dialog

    def _rename_clicked(self) -> None:
        name = self.selected_contact()
        if name:
            new, ok = QInputDialog.getText(self, "Rename contact", "New name:", text=name)
            if ok and new.strip():
                self._guard(lambda: sharing.rename_contact(self.vault, name, new))

    def _remove_clicked(self) -> None:
        name = self.selected_contact()
        if name and QMessageBox.question(self, "Remove contact", f"Remove contact '{name}'? You "
                                         "will no longer be able to open their bundles.") \
                == QMessageBox.StandardButton.Yes:
            self._guard(lambda: sharing.remove_contact(self.vault, name))

    def open_share_wizard(self):
        from .share_wizard import ShareWizard

        self.wizard = ShareWizard(self.session, self)
        self.wizard.open()
        return self.wizard

    def open_bundle_wizard(self):
        from .open_wizard import OpenBundleWizard

        self.wizard = OpenBundleWizard(self.session, self)
        self.wizard.open()
        return self.wizard

    def _guard(self, action) -> None:
        try:
            action()
        except PPDSError as exc:
            show_error(self, exc)
        self.refresh()
