import pytest

from tracking import open_buffer


@pytest.fixture(autouse=True)
def _empty_open_stream():
    """The open stream lives in Redis across tests (the database rolls back, Redis does not)."""
    connection = open_buffer._connection()
    if connection is not None:
        connection.delete(open_buffer._key(open_buffer.STREAM))
    yield
    if connection is not None:
        connection.delete(open_buffer._key(open_buffer.STREAM))
