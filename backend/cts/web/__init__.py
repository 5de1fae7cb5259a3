"""The web pages: for residents (mobile first, Ukrainian by default, English), for verifiers, coordinators
and the council, and public pages for auditors. Server-rendered HTML that works without JavaScript; a
little plain JavaScript only improves it (the ballot's live preview, no double submission).

Layout:
    app.py        install_web: the pages, static files and HTML error pages on an application
    deps.py       the page context (user, language, CSRF), role checks, the submitted form, the chain reader
    forms.py      field checks, and the once-only guard of every mutating form
    i18n.py       Ukrainian and English: a thin layer over Babel's gettext catalogs (locale/) and formats
    messages.py   texts looked up by a value: error messages by code, action names, names of states
    reads.py      read models: what the pages show, from the contracts' views and events
    files.py      evidence uploads and published descriptions, stored by their SHA-256
    render.py     the Jinja2 environments (one per language, with the i18n extension)
    routes/       the pages, one router per audience
    demo.py       `seed_demo` and the `cts demo` command
    templates/, static/, locale/ (the .po catalogs; docs/translations.md)

``cts.web.app.install_web(app)`` adds the pages to an application (its API stays under /api). This package's
``__init__`` imports nothing, so that the `cts` command line stays quick.
"""
