"""Project-wide pytest fixtures."""

import pytest
from django.db import connection
from django.utils import translation


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def _languages(settings):
    """Pages are Chinese by default, as in production (LANGUAGE_CODE, LocaleMiddleware).
    Code called directly from a test (workflow errors, command output) speaks English, so
    assertions read the source strings; tests of Chinese output activate zh-hans themselves."""
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("en"):
        yield
