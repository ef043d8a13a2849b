"""Backoff, SMTP addresses, amounts in texts, and the settings that refuse a wrong address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from navio.notifications.domain import money, retry_after
from navio.notifications.mailer import SmtpMailer, compose
from navio.settings import NotificationsSettings


def test_retries_double_from_thirty_seconds_up_to_six_hours() -> None:
    waits = [retry_after(n) for n in range(1, 12)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits == sorted(waits)
    assert waits[-1] == timedelta(hours=6)
    assert retry_after(10_000) == timedelta(hours=6)


def test_smtp_addresses() -> None:
    plain = SmtpMailer.from_url("smtp://mail.example:2525", 5)
    assert (plain.host, plain.port, plain.implicit_tls, plain.username) == (
        "mail.example",
        2525,
        False,
        None,
    )
    secure = SmtpMailer.from_url("smtps://ops%40navio.example:p%3Ass@mail.example", 5)
    assert (secure.port, secure.implicit_tls) == (465, True)
    assert (secure.username, secure.password) == ("ops@navio.example", "p:ss")
    assert SmtpMailer.from_url("smtp://mail.example", 5).port == 25
    with pytest.raises(ValueError, match="an SMTP URL"):
        SmtpMailer.from_url("http://mail.example", 5)


def test_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ValidationError):
        NotificationsSettings(smtp_url="mail.example:25")
    with pytest.raises(ValidationError):
        NotificationsSettings(smtp_url="smtp://")
    with pytest.raises(ValidationError):
        NotificationsSettings(public_url="navio.example")
    assert NotificationsSettings(smtp_url="smtps://mail.example").smtp_url is not None


def test_amounts_use_the_currencys_digits() -> None:
    assert money(4_550, "EUR") == "45.50 EUR"
    assert money(1_200_000, "JPY") == "1,200,000 JPY"
    assert money(12_345, "BHD") == "12.345 BHD"


def test_an_email_names_its_sender_and_is_marked_automatic() -> None:
    message = compose("Navio <no-reply@navio.example>", "a@b.example", "Hi", "Text", "abc123")
    assert message["Message-ID"] == "<abc123@navio.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content().strip() == "Text"
