"""E-mail address checking with a fast path for the plain addresses nearly every file holds.

pydantic's EmailStr runs the full email-validator on every value (~0.4 ms: Unicode tables for the
domain, a character-by-character split). An import of 100,000 contacts spent most of its time there.
The fast path accepts only what the full validator accepts, and returns what it returns:
- the part before the @ is an unquoted ASCII dot-atom (the validator's own DOT_ATOM_TEXT rule, which
  it accepts as it is, with no length limit of its own outside strict mode);
- the part after the @ is plain ASCII letters, digits, dots and hyphens, and the full validator
  accepted that domain before (its verdict and normalized form are cached per domain);
- the three lengths the validator checks (as typed, normalized, IDNA ASCII) are within its limit.
Anything else (Unicode, quotes, display names, IP literals, a domain the validator refused, an
over-long address) goes to the full validator, which gives the same result and the same message.
"""

from __future__ import annotations

import re
from functools import lru_cache

import email_validator
from email_validator.rfc_constants import ATEXT, CASE_INSENSITIVE_MAILBOX_NAMES, EMAIL_MAX_LENGTH
from pydantic.networks import validate_email as full_validate_email

_ALWAYS_LOWER = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
_PLAIN = re.compile(rf"([{ATEXT}]+(?:\.[{ATEXT}]+)*)@([A-Za-z0-9.-]+)")


@lru_cache(maxsize=8192)
def _domain(domain: str) -> tuple[str, str] | None:
    """(normalized, IDNA ASCII) forms of a domain the full validator accepts, else None.
    The domain's checks do not depend on the part before the @ (only the lengths do)."""
    try:
        parts = email_validator.validate_email(f"a@{domain}", check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return parts.domain, parts.ascii_domain


def check_email(value: str) -> str:
    """The normalized address, as pydantic's EmailStr returns it; its error when it is not one."""
    match = _PLAIN.fullmatch(value)
    if match is not None and len(value) <= EMAIL_MAX_LENGTH:
        local, domain = match.groups()
        if local.lower() in _ALWAYS_LOWER:  # postmaster, abuse...: lowered, as it does
            local = local.lower()
        forms = _domain(domain)
        if forms is not None:
            normalized, ascii_domain = forms
            if (len(f"{local}@{normalized}".encode()) <= EMAIL_MAX_LENGTH
                    and len(local) + 1 + len(ascii_domain) <= EMAIL_MAX_LENGTH):
                return f"{local}@{normalized}"
    return full_validate_email(value)[1]
