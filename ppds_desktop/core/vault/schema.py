"""The vault's SQL schema as an ordered list of migrations.

``PRAGMA user_version`` holds the number of migrations applied. A migration is never edited once
released: add a new one at the end. Every table that any feature needs lives here so that the
features share one versioned schema. Times are ISO-8601 UTC strings; JSON columns hold UTF-8 JSON.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: foundation
    """
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL                 -- JSON
    );
    CREATE TABLE datasets (
        id          INTEGER PRIMARY KEY,
        uid         TEXT NOT NULL UNIQUE,   -- random 128-bit hex, stable across vaults
        name        TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL DEFAULT 'imported',  -- imported | release | bundle
        created_at  TEXT NOT NULL,
        n_rows      INTEGER NOT NULL,
        n_cols      INTEGER NOT NULL,
        columns_json TEXT NOT NULL,         -- [{"name":..,"dtype":..}] in order
        source_json  TEXT NOT NULL DEFAULT '{}',   -- provenance: file name, sender, bundle id...
        profile_json TEXT,                  -- column profile as computed at import
        byte_size   INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE dataset_chunks (
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        data       BLOB NOT NULL,           -- consecutive <= 1 MiB slices of one Parquet file
        PRIMARY KEY (dataset_id, seq)
    );
    CREATE TABLE column_roles (
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        column     TEXT NOT NULL,
        role       TEXT NOT NULL,           -- identifier | quasi_identifier | sensitive | insensitive
        reason     TEXT NOT NULL DEFAULT '',
        confirmed  INTEGER NOT NULL DEFAULT 0,  -- 1 once the user set or confirmed it
        PRIMARY KEY (dataset_id, column)
    );
    CREATE TABLE secrets (
        id         INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL,           -- pseudonym_key | date_shift_key | paillier_private | ...
        name       TEXT NOT NULL,
        data       BLOB NOT NULL,
        meta_json  TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        UNIQUE (kind, name)
    );
    CREATE TABLE identity (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        display_name  TEXT NOT NULL,
        organisation  TEXT NOT NULL DEFAULT '',
        sign_private  BLOB NOT NULL,        -- Ed25519 seed
        enc_private   BLOB NOT NULL,        -- X25519 private key
        created_at    TEXT NOT NULL
    );
    CREATE TABLE contacts (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        organisation  TEXT NOT NULL DEFAULT '',
        sign_public   BLOB NOT NULL,
        enc_public    BLOB NOT NULL,
        fingerprint   TEXT NOT NULL UNIQUE,
        verified      INTEGER NOT NULL DEFAULT 0,
        card_json     TEXT NOT NULL DEFAULT '{}',   -- extra card fields (e.g. Paillier public key)
        previous_json TEXT NOT NULL DEFAULT '[]',   -- earlier keys, kept when a key change is accepted
        added_at      TEXT NOT NULL
    );
    CREATE TABLE releases (
        id                INTEGER PRIMARY KEY,
        uid               TEXT NOT NULL UNIQUE,
        name              TEXT NOT NULL UNIQUE,
        kind              TEXT NOT NULL,    -- anonymized | perturbed | dp_statistics | he_request | he_result
        source_dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
        output_dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
        recipe_json       TEXT NOT NULL DEFAULT '{}',
        report_json       TEXT NOT NULL DEFAULT '{}',
        created_at        TEXT NOT NULL
    );
    CREATE TABLE release_files (
        release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,           -- e.g. 'ciphertexts.bin'; stored whole (small) or chunked by caller
        data       BLOB NOT NULL,
        PRIMARY KEY (release_id, name)
    );
    CREATE TABLE budgets (
        dataset_id    INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
        epsilon_total REAL NOT NULL,        -- pure-DP budget
        rho_total     REAL NOT NULL,        -- zCDP budget
        set_at        TEXT NOT NULL
    );
    CREATE TABLE ledger (
        id          INTEGER PRIMARY KEY,
        dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        release_id  INTEGER REFERENCES releases(id) ON DELETE SET NULL,
        mechanism   TEXT NOT NULL,
        epsilon     REAL NOT NULL DEFAULT 0,
        rho         REAL NOT NULL DEFAULT 0,
        description TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL
    );
    CREATE TABLE imported_bundles (
        bundle_id   TEXT PRIMARY KEY,
        sender_fp   TEXT NOT NULL,
        kind        TEXT NOT NULL,
        dataset_id  INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE audit (
        seq          INTEGER PRIMARY KEY,
        ts           TEXT NOT NULL,
        actor        TEXT NOT NULL,
        action       TEXT NOT NULL,
        details_json TEXT NOT NULL,         -- names, ids, counts, parameters; never cell values
        prev_hash    TEXT NOT NULL,
        hash         TEXT NOT NULL          -- SHA-256 over prev_hash and this row's canonical JSON
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 2: homomorphic aggregation — signed contribution bundles kept for requests, and the key
    # holder's record of answered cells (against differencing; core/he/answered.py)
    """
    CREATE TABLE he_contributions (
        bundle_id   TEXT PRIMARY KEY,      -- the signed release bundle's id
        release_uid TEXT,                  -- own release sealed for a key holder, else NULL
        key_holder  TEXT,                  -- that key holder's fingerprint, else NULL
        data        BLOB NOT NULL,         -- the bundle, byte for byte as signed
        stored_at   TEXT NOT NULL
    );
    CREATE TABLE he_answered_cells (
        id          INTEGER PRIMARY KEY,
        request_id  TEXT NOT NULL,
        release_id  INTEGER REFERENCES releases(id) ON DELETE SET NULL,
        records     INTEGER NOT NULL,
        noised      INTEGER NOT NULL,      -- 1: answered with DP noise
        answered_at TEXT NOT NULL
    );
    CREATE TABLE he_answered_rows (
        cell_id     INTEGER NOT NULL REFERENCES he_answered_cells(id) ON DELETE CASCADE,
        bundle_id   TEXT NOT NULL,         -- contribution
        n_rows      INTEGER NOT NULL,      -- rows of that contribution
        rows_bitmap BLOB NOT NULL,         -- zlib(numpy.packbits(mask)): the rows the cell covered
        PRIMARY KEY (cell_id, bundle_id)
    );
    CREATE INDEX he_answered_rows_by_bundle ON he_answered_rows (bundle_id);
    """,
    # 3: multi-site studies with a split key (core/study, core/vault/studies.py): the studies
    # this vault takes part in, the messages it sent and received, and the site sets it
    # decrypted or saw decrypted (against differencing)
    """
    CREATE TABLE studies (
        study_id    TEXT PRIMARY KEY,      -- random 128-bit hex
        title       TEXT NOT NULL,
        role        TEXT NOT NULL,         -- coordinator | participant
        state       TEXT NOT NULL,         -- draft | open
        definition  BLOB NOT NULL,         -- the signed definition's exact bytes (a draft's JSON)
        signature   BLOB,                  -- the coordinator's Ed25519 signature; NULL for a draft
        study_hash  TEXT,                  -- SHA-256 of definition; NULL for a draft
        round       INTEGER NOT NULL DEFAULT 1,   -- the newest round opened
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE study_messages (
        id          INTEGER PRIMARY KEY,
        study_id    TEXT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,         -- invitation | round | contribution | request | answer | result
        direction   TEXT NOT NULL,         -- sent | received
        round       INTEGER NOT NULL,
        party       TEXT NOT NULL,         -- fingerprint: the sender (received) or the addressee
        bundle_id   TEXT,
        request_id  TEXT,
        summary     TEXT NOT NULL DEFAULT '{}',   -- JSON: names, counts, a result's figures; never a site's values
        at          TEXT NOT NULL
    );
    CREATE INDEX study_messages_by_study ON study_messages (study_id, kind);
    CREATE TABLE study_decrypted (
        study_id    TEXT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
        request_id  TEXT NOT NULL,
        round       INTEGER NOT NULL,
        bundles     TEXT NOT NULL,         -- JSON {site fingerprint: contribution bundle id}
        source      TEXT NOT NULL,         -- answered (by this vault) | result (seen decrypted)
        at          TEXT NOT NULL,
        PRIMARY KEY (study_id, request_id)
    );
    """,
    # 4: the key holder's record also keeps, per exact cell, how many of its records lacked a
    # value of an asked column (core/he/answered.py compares values, not only records)
    """
    ALTER TABLE he_answered_cells ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
