import pytest

from core.lookups import as_pk


@pytest.mark.parametrize("typed, pk", [("1", 1), ("42", 42), ("9" * 18, int("9" * 18))])
def test_ascii_digits_that_fit_a_primary_key_are_an_id(typed, pk):
    assert as_pk(typed) == pk


@pytest.mark.parametrize("typed", ["", "0", "007", "²", "١", "1.5", "-1", " 1", "1\n", "9" * 19, 7])
def test_anything_else_is_no_id(typed):
    assert as_pk(typed) is None
