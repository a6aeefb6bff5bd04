import pytest

from jiesu.appeals.tests.conftest import at, world  # noqa: F401  (shared fixtures)


@pytest.fixture
def as_user(client, world):  # noqa: F811 (world is the shared fixture above)
    """`as_user("handler")`: the test client, signed in as that person of the world."""

    def login(name):
        client.force_login(world.u(name))
        return client

    return login
