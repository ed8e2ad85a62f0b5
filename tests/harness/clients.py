"""Replies as real mail clients write them: the demo's client styles, shared with the tests."""

from mailflow.demo.clients import (
    STYLES,
    Style,
    cp50220,
    docomo,
    gmail,
    iphone_html,
    outlook,
    thunderbird,
)

__all__ = ["STYLES", "Style", "cp50220", "docomo", "gmail", "iphone_html", "outlook", "thunderbird"]
