"""Mobile numbers are read one way at sign-in, in contracts and in imports."""
import pytest

from server.accounts.mobile import mobile_digits, valid_mobile


@pytest.mark.parametrize("typed, digits", [
    ("13800000000", "13800000000"),
    ("138 0000 0000", "13800000000"),
    ("138-0000-0000", "13800000000"),
    ("+86 138 0000 0000", "13800000000"),
    ("86 13800000000", "13800000000"),
    ("(138)00000000", "13800000000"),
    ("", ""),
    (None, ""),
])
def test_digits_as_typed(typed, digits):
    assert mobile_digits(typed) == digits


@pytest.mark.parametrize("typed, valid", [
    ("+86 138-0000-0000", "13800000000"),
    ("", ""),
    ("1380000000", None),       # ten digits
    ("23800000000", None),      # not a mobile (does not start with 1)
    ("1380000000x", None),
    ("１３８００００００００", None),  # full-width digits are not ASCII
])
def test_valid_mobile(typed, valid):
    assert valid_mobile(typed) == valid
