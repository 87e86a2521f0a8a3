# The catalogue's tests use the services the playbooks' tests are written against.
from playbooks.tests.conftest import checkout, search  # noqa: F401
