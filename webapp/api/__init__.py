from .views import bp, init_api

__all__ = ["bp", "init_api"]
