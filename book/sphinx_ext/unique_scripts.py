"""Sphinx extension of the book build: each script once per page.

It lives beside the book, not in ``lstmlib``: only the book build needs it (``_config.yml`` loads it
through ``sphinx.local_extensions``, which puts this folder on ``sys.path``), never a chapter at run time.

sphinx-thebe registers its configuration script (``const THEBE_JS_URL = ...``) on every
``env-before-read-docs`` event, which Jupyter Book fires more than once per build; the page then
declares the same ``const`` twice and the browser reports a SyntaxError on every page. This drops
exact duplicates (same file, same inline body, same attributes) from each page's script list.
"""


def _unique_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        # inline scripts come with filename None or "" depending on who added them
        key = (getattr(script, "filename", str(script)) or "", tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
