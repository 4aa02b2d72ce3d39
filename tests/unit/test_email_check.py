"""The e-mail fast path accepts, normalizes and refuses exactly as the full validator (EmailStr) does."""

from __future__ import annotations

from typing import Annotated

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, BeforeValidator, EmailStr
from pydantic_core import PydanticCustomError

from core.services import email_check, schemas
from core.services.email_check import check_email
from core.services.records import pydantic_errors

LONG_LABEL = "a" * 63
TRICKY = [
    # plain, and plain but unusual
    "ana@example.com", "Ana.Rossi@Example.COM", "ANA@EXAMPLE.COM", "a.b+tag@mail.example.co.uk",
    "o'brien@example.ie", "x!#$%&'*+/=?^_`{|}~-@example.com", "postmaster@example.com",
    "Info@Example.com", "a@b.c.d.e.f.example.com", "1@2.com", "ana@123.example", "ana@example.123",
    # dots in the wrong places
    ".ana@example.com", "ana.@example.com", "an..a@example.com", "ana@example.com.",
    "ana@.example.com", "ana@example..com", "ana@example", "ana@-example.com", "ana@example-.com",
    "ana@ab--cd.com", "ana@xn--bcher-kva.ch", "ana@xn--zzz.com",
    # lengths: labels, local part, whole address
    f"ana@{LONG_LABEL}.com", f"ana@{LONG_LABEL}a.com", f"{'l' * 64}@example.com", f"{'l' * 65}@example.com",
    f"ana@{'.'.join([LONG_LABEL] * 3)}.{'b' * 57}.com", f"{'l' * 200}@{'d' * 50}.com",
    f"{'l' * 190}@{'d' * 59}.com", f"{'l' * 189}@{'d' * 60}.com",
    # special-use and test domains
    "ana@localhost", "ana@example.local", "ana@example.invalid", "ana@example.test", "ana@x.onion",
    "ana@example.arpa",
    # quoted local parts, display names, IP literals
    '"ana rossi"@example.com', '"ana"@example.com', '"a@b"@example.com', "Ana Rossi <ana@example.com>",
    '"Rossi, Ana" <ana@example.com>', "<ana@example.com>", "ana@[192.168.0.1]", "ana@[IPv6:::1]",
    "ana@192.168.0.1",
    # unicode
    "anä@example.com", "ana@bücher.ch", "ana@BÜCHER.ch", "用户@例子.广告", "ana@example.com\u200b",
    "ana\u0301@example.com", "ana＠example.com", "ana@exa_mple.com",
    # nothing like an address
    "", "ana", "@example.com", "ana@", "ana@@example.com", "a b@example.com", "ana@exa mple.com",
    "ana@example.com\n", "ana\x00@example.com", "ana@example.com,bo@example.com",
]


def full(value: str) -> tuple[str, str | None]:
    """("ok", normalized) or ("error", message) from pydantic's own EmailStr."""
    try:
        return "ok", pydantic.TypeAdapter(EmailStr).validate_python(value)
    except pydantic.ValidationError as exc:
        return "error", exc.errors()[0]["msg"]


def fast(value: str) -> tuple[str, str | None]:
    try:
        return "ok", check_email(value)
    except PydanticCustomError as exc:
        return "error", exc.message()


@pytest.mark.parametrize("value", TRICKY)
def test_fast_path_agrees_with_the_full_validator(value: str) -> None:
    assert fast(value) == full(value)
    assert fast(value) == full(value)  # second time: from the per-domain cache


class OldContact(BaseModel):
    """ContactIn's email field as it was, on EmailStr."""

    model_config = schemas.Input.model_config
    email: Annotated[EmailStr | None, BeforeValidator(schemas._blank_to_none),
                     AfterValidator(schemas._lower)] = None


def outcome(model: type[BaseModel], data: dict[str, object]) -> object:
    """The stored email, or the (field, message) list a person is shown."""
    try:
        return model.model_validate(data).model_dump()["email"]
    except pydantic.ValidationError as exc:
        return [(error.field, error.message) for error in pydantic_errors(exc)]


@pytest.mark.parametrize("value", [*TRICKY, "  Ana@Example.com  ", None, 12, " "])
def test_contact_email_field_refuses_and_stores_as_before(value: object) -> None:
    old = outcome(OldContact, {"email": value})
    assert outcome(schemas.ContactIn, {"first_name": "Ana", "email": value}) == old


def test_plain_addresses_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a domain is known, a plain address never reaches the full validator."""
    assert check_email("first@fast-path.example.com") == "first@fast-path.example.com"
    monkeypatch.setattr(email_check, "full_validate_email", lambda value: pytest.fail(value))
    assert check_email("Second.One@Fast-Path.Example.com") == "Second.One@fast-path.example.com"


# Domains built from the characters and shapes the ASCII shortcut decides on: label lengths around
# 63, hyphens at the ends and doubled ("--", "xn--"), digits-only labels, dots anywhere, special-use
# suffixes, mixed case. Every one must get the full validator's verdict and normalized form.
LABEL_PARTS = st.sampled_from(["a", "Z", "0", "9", "-", "--", "xn--", "b" * 30, "c" * 61, "q"])
LABELS = st.text(alphabet="aZ09-", max_size=70) | st.lists(LABEL_PARTS, max_size=4).map("".join)
SUFFIXES = st.sampled_from(["", ".com", ".COM", ".local", ".test", ".arpa", ".onion", ".invalid",
                            ".localhost", ".example", ".123", ".c0m", ".co.uk", "."])
DOMAINS = st.builds(lambda labels, suffix: ".".join(labels) + suffix,
                    st.lists(LABELS, min_size=1, max_size=5), SUFFIXES)


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(domain=DOMAINS)
def test_ascii_domains_get_the_full_validators_verdict(domain: str) -> None:
    assert fast(f"ana@{domain}") == full(f"ana@{domain}")
