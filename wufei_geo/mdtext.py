"""Text made literal for Markdown: the one escaper of user and data text shown by the app.

Streamlit renders the bodies of ``st.markdown``, ``st.caption``, ``st.write`` (text), ``st.info`` /
``st.warning`` / ``st.error`` / ``st.success``, ``st.subheader`` and the cells of ``st.table`` as
Markdown, with its own ``:red[…]`` directives and ``$…$`` LaTeX.  Every character any of them could
act on is backslash-escaped, so a name, a note or a refusal can never become a link, an image, HTML
or formatting — it shows as typed.  Pure (no Streamlit): the pages call it on every piece of text
that comes from a user, a file or the database before it goes into such an element.
"""
from __future__ import annotations

# Markdown punctuation, HTML's angle brackets, Streamlit directives (":") and LaTeX ("$").
MD_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~:$")


def md_literal(text: object) -> str:
    """``text`` (any value, shown as ``str(text)``) with every :data:`MD_SPECIAL` character escaped."""
    return "".join("\\" + ch if ch in MD_SPECIAL else ch for ch in str(text))
