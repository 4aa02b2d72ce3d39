"""E-mail address checking with a fast path for the plain addresses nearly every file holds.

pydantic's EmailStr runs the full email-validator on every value (~0.4 ms: Unicode tables for the
domain, a character-by-character split). An import of 100,000 contacts spent most of its time there.
The fast path accepts only what the full validator accepts, and returns what it returns:
- the part before the @ is an unquoted ASCII dot-atom (the validator's own DOT_ATOM_TEXT rule, which
  it accepts as it is, with no length limit of its own outside strict mode);
- the part after the @ is plain ASCII letters, digits, dots and hyphens, and either passes every
  rule the full validator applies to such a domain (checked here without its Unicode tables, which
  cost ~0.1 ms per domain: files of company addresses hold thousands of distinct domains), or the
  full validator accepted that domain before (its verdict and normalized form are cached per domain);
- the three lengths the validator checks (as typed, normalized, IDNA ASCII) are within its limit.
Anything else (Unicode, quotes, display names, IP literals, a domain the validator refused, an
over-long address) goes to the full validator, which gives the same result and the same message.
"""

from __future__ import annotations

import re
from functools import lru_cache

import email_validator
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from email_validator.rfc_constants import (
    ATEXT,
    CASE_INSENSITIVE_MAILBOX_NAMES,
    DOMAIN_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
)
from pydantic.networks import validate_email as full_validate_email

_ALWAYS_LOWER = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
_PLAIN = re.compile(rf"([{ATEXT}]+(?:\.[{ATEXT}]+)*)@([A-Za-z0-9.-]+)")
# A DNS label of letters, digits and inner hyphens, at most 63 long (the validator's label rules).
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _plain_domain(domain: str) -> str | None:
    """The normalized form of an ASCII domain the full validator is sure to accept, or None when
    it may refuse it (it then decides, with its own message). Accepted here: at most 253 long, at
    least two labels of letters, digits and inner hyphens, no "--" (punycode and the labels the
    validator refuses for it), a last label ending in a letter, not a special-use name. Unicode
    normalization of such a domain only lowers its case."""
    lowered = domain.lower()
    if len(lowered) > DOMAIN_MAX_LENGTH or "--" in lowered or not lowered[-1:].isalpha():
        return None
    labels = lowered.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if any(lowered == name or lowered.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES):
        return None
    return lowered


@lru_cache(maxsize=8192)
def _domain(domain: str) -> tuple[str, str] | None:
    """(normalized, IDNA ASCII) forms of a domain the full validator accepts, else None.
    The domain's checks do not depend on the part before the @ (only the lengths do)."""
    plain = _plain_domain(domain)
    if plain is not None:
        return plain, plain
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
