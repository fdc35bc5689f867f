"""Minimal Streamlit apps a user would write instead of wufei-geo's map page (issue 18, figure 9).

Each shows the same located sites as the real app (read from the same database through the
core's catalog, cached like the app caches it) with the same sidebar filter (category), and
nothing else.  ``bench/fig_running.py`` starts them with ``streamlit run``.
"""
