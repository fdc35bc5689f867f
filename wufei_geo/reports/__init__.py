"""What the analysis computed, written out for people: one module per output.

* ``texts`` — the sentences and tables every output shares (headline, targets, towns), written by
  the analysis core's formatters;
* ``chart`` — THE capacity-vs-goal chart (600 t/d): one definition (:func:`chart.capacity_chart`)
  drawn with matplotlib (PDF briefing) and with Altair (the capacity page);
* ``briefing_pdf`` — the one-page A4 PDF briefing (matplotlib + geopandas);
* ``workbook`` — the Excel workbook;
* ``choropleth`` — the towns shaded by a town figure (folium, the 街镇 page);
* ``downloads`` — the files by suffix (``write_report``) and the pages' downloads.

Nothing is imported here, so a caller loads only the output it needs (openpyxl, matplotlib and
folium are not light)."""
