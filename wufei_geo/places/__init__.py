"""Places (issue 24): mapped things that are not facilities — 无废城市细胞, 零浪费街区, 无废教育基地,
showcases and 无废水乡镇.  One module per responsibility: ``vocab`` (types, statuses, schema),
``rules`` (field rules and THE permission function ``may_place``), ``store`` (the ``Places`` part
of the store: reads, add, update, 待核实 claims and their approval, confirmation, audit, seed),
``seed`` (``facilities/places.csv``), ``measures`` (the counts targets and indicators read),
``located`` (map points and areas), ``exports`` and ``bulk`` (CSV/XLSX import with a dry run).
This package's ``__init__`` imports nothing, so ``wufei_geo.db`` may import ``vocab``."""
