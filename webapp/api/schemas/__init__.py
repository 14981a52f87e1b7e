"""The API's marshmallow schemas, one module per resource; they validate input, dump model objects and describe
both in the OpenAPI document flask-smorest generates. base.py holds what they share."""
from .base import MAX_ID, MAX_PER_PAGE, ErrorSchema

__all__ = ["MAX_ID", "MAX_PER_PAGE", "ErrorSchema"]
