"""The rule for tests that need ../shared/data: skip when it is absent, fail when it is required."""

import pytest

from tests import conftest


@pytest.mark.parametrize(("required", "outcome"), [("1", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_shared_data_skips_or_fails(monkeypatch, tmp_path, required, outcome):
    monkeypatch.setattr(conftest, "SHARED_DATA", tmp_path / "absent")
    monkeypatch.setenv("ARCHIVE_REQUIRE_SHARED", required)
    with pytest.raises(outcome):
        conftest.shared_data("bbc_news")
