"""Plain domain rules: no Flask, no SQLAlchemy. Views, API, CLI and services call these."""
