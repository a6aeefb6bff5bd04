from jiesu.appeals.tests.conftest import at, world  # noqa: F401  (shared fixtures)
