from .smtp import Recorder, free_port, smtp_server  # noqa: F401 (fixtures for tests/mail)
