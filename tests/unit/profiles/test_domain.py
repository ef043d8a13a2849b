"""Card-number detection: the Luhn checksum and the 'is this a PAN?' guard."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from navio.profiles.domain import looks_like_card_number, luhn_valid

DIGITS = "0123456789"


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass Luhn (independent of the code under test)."""
    total = 0
    # Once the check digit is appended, the payload's rightmost digit is the one doubled.
    for position, char in enumerate(reversed(payload)):
        value = int(char)
        if position % 2 == 0:
            value = value * 2
            value = value - 9 if value > 9 else value
        total += value
    return str((10 - total % 10) % 10)


digit_strings = st.text(alphabet=DIGITS, min_size=1, max_size=30)


# ---------------------------------------------------------------- luhn_valid, known vectors


@pytest.mark.parametrize(
    "number",
    [
        "79927398713",  # the textbook example
        "4242424242424242",  # Stripe test Visa
        "4111111111111111",
        "5555555555554444",  # Mastercard test
        "378282246310005",  # Amex test
        "6011111111111117",  # Discover test
        "0",
        "00",
        "18",
    ],
)
def test_luhn_accepts_known_valid_numbers(number: str) -> None:
    assert luhn_valid(number) is True


@pytest.mark.parametrize(
    "number",
    ["79927398710", "4242424242424241", "4111111111111112", "378282246310006", "1", "10"],
)
def test_luhn_rejects_known_invalid_numbers(number: str) -> None:
    assert luhn_valid(number) is False


def test_check_digit_helper_agrees_with_known_vector() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("424242424242424") == "2"


# ---------------------------------------------------------------- luhn_valid, properties


@given(digit_strings)
def test_appending_the_check_digit_always_validates(payload: str) -> None:
    assert luhn_valid(payload + luhn_check_digit(payload)) is True


@given(digit_strings, st.integers(min_value=1, max_value=9))
def test_a_wrong_check_digit_never_validates(payload: str, shift: int) -> None:
    wrong = str((int(luhn_check_digit(payload)) + shift) % 10)
    assert luhn_valid(payload + wrong) is False


@given(digit_strings, st.data())
def test_changing_any_single_digit_breaks_the_checksum(payload: str, data: st.DataObject) -> None:
    number = payload + luhn_check_digit(payload)
    index = data.draw(st.integers(min_value=0, max_value=len(number) - 1), label="index")
    replacement = data.draw(st.sampled_from([d for d in DIGITS if d != number[index]]))
    mutated = number[:index] + replacement + number[index + 1 :]
    assert luhn_valid(mutated) is False, (number, mutated)


@given(digit_strings, st.data())
def test_swapping_adjacent_digits_is_detected_except_09(payload: str, data: st.DataObject) -> None:
    number = payload + luhn_check_digit(payload)
    index = data.draw(st.integers(min_value=0, max_value=len(number) - 2), label="index")
    a, b = number[index], number[index + 1]
    swapped = number[:index] + b + a + number[index + 2 :]
    if a == b or {a, b} == {"0", "9"}:
        # Equal digits change nothing; 09 <-> 90 is Luhn's one blind transposition.
        assert luhn_valid(swapped) is True
    else:
        assert luhn_valid(swapped) is False, (number, swapped)


@given(digit_strings)
def test_leading_zeros_do_not_change_validity(payload: str) -> None:
    assert luhn_valid("000" + payload) is luhn_valid(payload)


# ---------------------------------------------------------------- looks_like_card_number


@pytest.mark.parametrize(
    "value",
    [
        "4242424242424242",
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        " 4242424242424242 ",
        "378282246310005",
        "4242\t4242\n4242 4242",
    ],
)
def test_card_numbers_are_recognised(value: str) -> None:
    assert looks_like_card_number(value) is True


@pytest.mark.parametrize(
    "value",
    [
        "4242424242424241",  # fails Luhn
        "pm_4242424242424242",  # a provider token that merely contains a PAN-like tail
        "tok_1NXWPnL2eZvKYlo2",
        "79927398713",  # Luhn-valid but only 11 digits
        "00000000000000000000",  # Luhn-valid but 20 digits
        "",
        "------------",
    ],
)
def test_other_values_are_not_card_numbers(value: str) -> None:
    assert looks_like_card_number(value) is False


@given(
    st.integers(min_value=11, max_value=18).flatmap(
        lambda n: st.text(DIGITS, min_size=n, max_size=n)
    )
)
def test_luhn_valid_numbers_of_12_to_19_digits_are_card_numbers(payload: str) -> None:
    number = payload + luhn_check_digit(payload)
    assert looks_like_card_number(number) is True
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert looks_like_card_number(spaced) is True


@given(
    st.one_of(
        st.integers(min_value=0, max_value=10),
        st.integers(min_value=19, max_value=30),
    ).flatmap(lambda n: st.text(DIGITS, min_size=n, max_size=n))
)
def test_luhn_valid_numbers_outside_12_to_19_digits_are_not(payload: str) -> None:
    number = payload + luhn_check_digit(payload)
    assert looks_like_card_number(number) is False


@given(
    st.integers(min_value=11, max_value=18).flatmap(
        lambda n: st.text(DIGITS, min_size=n, max_size=n)
    )
)
def test_luhn_invalid_numbers_are_not_card_numbers(payload: str) -> None:
    wrong = str((int(luhn_check_digit(payload)) + 1) % 10)
    assert looks_like_card_number(payload + wrong) is False
