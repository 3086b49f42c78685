"""checker.validate.values: the quick URL test agrees with the general one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.validate import values


def general(value: str) -> bool:
    """is_http_url without its quick path."""
    saved = values._PLAIN_HTTP_URL
    try:
        values._PLAIN_HTTP_URL = values.re.compile(r"(?!)")
        return values.is_http_url(value)
    finally:
        values._PLAIN_HTTP_URL = saved


@pytest.mark.parametrize("url", [
    "https://www.kernel.org/doc/html/latest/", "http://example.org", "https://a.b:8080/x?y=1#z",
    "https://lore.kernel.org/all/20210101.1234-1-a@b.c/", "https://h/[x]", "HTTPS://a.org/",
    "https://", "https:///x", "ftp://a.org/", "https://a.org/ x", "https://[::1]/", "https://é.fr/",
    "https://a.org/<x>", "https://a.org/\x7f", "https://a.org\n",
])
def test_quick_url_test_agrees(url: str) -> None:
    assert values.is_http_url(url) == general(url)


@given(st.from_regex(r"\Ahttps?://[A-Za-z0-9.\-\[\]:@]{0,12}[/?#]?[ -~\x80-\xff]{0,20}\Z"))
def test_quick_url_test_agrees_on_generated_urls(url: str) -> None:
    assert values.is_http_url(url) == general(url)
