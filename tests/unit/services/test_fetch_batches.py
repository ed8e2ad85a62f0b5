"""Fetch batches are cut by count and by bytes, so memory stays bounded by the batch."""

from mailflow.services.fetch import batches

MB = 1024 * 1024


def test_count_limit() -> None:
    sizes = [(uid, 10_000) for uid in range(1, 8)]
    assert batches(sizes, 3, 64 * MB, 25 * MB) == [[1, 2, 3], [4, 5, 6], [7]]


def test_byte_budget_and_the_size_cap() -> None:
    sizes = [(1, 30 * MB), (2, 20 * MB), (3, 20 * MB), (4, 1 * MB), (5, 100 * MB)]
    # 30 MB counts as the 25 MB cap; 25 + 20 fits 64, the next 20 does not.
    assert batches(sizes, 200, 64 * MB, 25 * MB) == [[1, 2], [3, 4, 5]]


def test_a_mail_over_the_budget_goes_alone_and_nothing_is_skipped() -> None:
    sizes = [(1, 1000), (2, 90 * MB), (3, 1000)]
    assert batches(sizes, 200, 64 * MB, 100 * MB) == [[1], [2], [3]]
    assert batches([], 200, 64 * MB, 25 * MB) == []
