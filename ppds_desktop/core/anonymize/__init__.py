"""De-identification engine: hierarchies, privacy models, optimal generalization, Mondrian.

Public API of the generalization engine (``hierarchy``, ``models``, ``search``, ``metrics``,
``mondrian``). The column transformations (``masking``, ``pseudonym``, ``dateshift``,
``recode``) live next to it and are imported from their own modules.

Hierarchies (``hierarchy.py``)
------------------------------
``Hierarchy`` — one column's generalization levels, level 0 = the raw value (as text), the
last level usually ``*``. Stored as integer-coded mapping arrays (leaf index → label index per
level) so the search never touches strings::

    h = Hierarchy.read_csv(path, name="age")          # ARX format: one row per value, ';'
    h.to_csv(path=None) -> str                         # same format back
    Hierarchy.from_rows(rows, name=...)                # rows: list of lists of labels
    h.height                                           # number of levels, incl. level 0
    h.generalize(values: pd.Series, level) -> pd.Series   # labels (object dtype); missing
                                                       # values use the "" leaf (builders add it)
    h.encode(values: pd.Series) -> np.ndarray[int32]   # leaf codes; InputError names the column
    h.decode(codes, level) -> np.ndarray[object]       # labels of leaf codes on ``level``
    h.labels(level) -> list[str];  h.share(level) -> np.ndarray  # ARX domain share per leaf

Builders (all return a ``Hierarchy`` built over the distinct values of ``values``)::

    build_intervals(values, widths=[5, 10, 20], *, start=None, bottom=None, top=None, name=...)
        # numbers: nested intervals "40-44" → "40-49" → "40-59" → "*"; each width a multiple
        # of the previous; bottom/top coding: values < bottom → "<bottom", ≥ top → ">=top"
    build_dates(values, levels=("month", "year", "decade"), *, name=...)
        # "2021-03-14" → "2021-03" → "2021" → "2020-2029" → "*"
    build_redaction(values, *, step=1, char="*", name=...)
        # codes/ZIP: "12345" → "1234*" → "123**" → ... → "*"
    build_categories(values, groups=[{"a": "g1", ...}, {"g1": "G", ...}], *, name=...)
        # user groupings per level (each maps the previous level's labels); "*" added on top

Privacy models (``models.py``)
------------------------------
``KAnonymity(k)``, ``DistinctLDiversity(column, l)``, ``EntropyLDiversity(column, l)``,
``RecursiveCLDiversity(column, c, l)``, ``TCloseness(column, t, distance="equal" |
"ordered" | "hierarchical", hierarchy=None)`` (hierarchical needs the sensitive column's
``Hierarchy``). ``model.describe() -> str``. Semantics follow ARX: a class that violates any
model is suppressed; a transformation is anonymous if the suppressed rows are
≤ ``floor(suppression_limit * n)``. t is measured against the whole input's distribution.
``measure_models(df, qi_columns, models, reference=None) -> dict`` measures k / l / t on
any (generalized) frame independently of the search.

Search (``search.py``)
----------------------
::

    result = search(df, qis: dict[str, Hierarchy], models: list[PrivacyModel], *,
                    suppression_limit=0.0,            # fraction of rows, 0..1
                    objective="loss",                 # "loss" | "discernibility" | "entropy"
                    top=20, exact_top=False, task=None,
                    codes=None) -> SearchResult       # codes: {column: h.encode(df[column])}
                                                      # when the caller has them (encode once)
    result.best: Transformation | None                # None: nothing satisfies the models
    result.candidates: list[Transformation]           # best `top` anonymous ones met, best
                                                      # first (topped up with generalizations
                                                      # of them); exact_top=True: provably
                                                      # the `top` best of the lattice
    result.stats: SearchStats(lattice_size, checked, entries, seconds); .pruned
    Transformation: levels (dict column → level), objective, loss, granularity,
                    suppressed (rows), classes (without the suppressed rows)

    out = apply(df, qis, levels, models, *, suppression_limit=0.0, suppressed="drop",
                task=None, codes=None) -> AnonymizationResult
    out.data         # QI columns replaced by their labels (strings); other columns untouched.
                     # suppressed="drop" removes suppressed rows (default, the release is
                     # k-anonymous as a table); "star" keeps them with every QI = "*" (ARX)
    out.suppressed   # bool mask over the input rows
    out.class_sizes  # sizes of the kept equivalence classes
    out.measured     # {"k", "l[col]", "c[col]" (recursive), "t[col]"} measured on the kept rows
    out.loss, out.granularity, out.levels
    # raises PrivacyModelError if the transformation needs more suppression than allowed

Metrics (``metrics.py``) — reusable by the utility module
----------------------------------------------------------
::

    loss(df, qis, levels, suppressed=None) -> float          # ARX "Loss" (lower is better)
    loss_per_column(df, qis, levels, suppressed=None, *, codes=None) -> dict[str, float]
    granularity(df, qis, levels, suppressed=None) -> float   # ARX quality "granularity"
    discernibility(class_sizes, suppressed_rows) -> float    # Σ size² + suppressed · n
    non_uniform_entropy(df, qis, levels, suppressed=None, *, codes=None) -> float   # bits
    average_class_size(class_sizes) -> float       # kept rows / kept classes

Local recoding (``mondrian.py``)
--------------------------------
::

    mondrian(df, qi_columns, *, k, l=None, sensitive=None, strict=True, task=None)
        -> MondrianResult(data, partitions, class_sizes, measured, ncp)
    # numeric QIs become "lo-hi" ranges per box (the value if lo = hi); strict = median cut
    # of the widest normalized range, relaxed = halves (median values may go either side);
    # ncp = mean normalized range width (0 = exact)
"""
