"""Data in and out: every file the tool reads or writes, one module per storage family.

- :mod:`.formats` — THE registry of file formats (name, suffixes, MIME type, family, what each is
  used for: export, bulk update, official boundaries, backup).  Standard library only, so the CLI
  can build its choices from it at start-up.
- :mod:`.tabular` — CSV: decoding (UTF-8, GBK/GB18030), bounded reading, people's CSV (BOM, formulas
  neutralised).
- :mod:`.excel` — XLSX: bounded reading, the export workbooks, the update template and the per-town
  update workbook.
- :mod:`.geofiles` — GeoJSON, GeoPackage, zipped Shapefile (pyogrio): safe reading of official
  boundary files, GeoJSON and GeoPackage writing.
- :mod:`.archive` — the backup archive (zip of JSON lines + manifest): values ⇄ JSON, writing, bounded
  reading.
- :mod:`.layers` — the export schema: the sites, zones and district layers as frames, every field's
  description, the tables for people.
- :mod:`.exports` — one export file from a catalog (the format's writer from the registry).
- :mod:`.bulk_import` — bulk updates of sites from a CSV/XLSX (dry run, apply), the update template.
- :mod:`.backup` / :mod:`.backup_rules` — backup, preview and restore; the rules every restored row
  must pass.

Nothing is imported here: ``import wufei_geo.io.formats`` stays light.
"""
