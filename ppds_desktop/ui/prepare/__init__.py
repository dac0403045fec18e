"""The Prepare wizard: de-identify a dataset step by step and save it as a release.

dataset → preset → column actions → privacy model → [pages other areas add, see
``extra_pages.py``] → run (worker, progress, Cancel) → results (before/after, risk, utility,
alternatives) → save in the vault / export the report. All work runs in
``services.release``; the wizard only edits a recipe and shows figures.
"""
