"""The HTTP API (FastAPI): ``create_app`` in main.py, dependencies in deps.py, one router per resource."""
