import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def pytest_collection_modifyitems(items):
    # Tests of one question share one (expensive) nbgrader round trip: keep them on one xdist worker.
    for item in items:
        slug = getattr(item, "callspec", None) and item.callspec.params.get("slug")
        if slug:
            item.add_marker(pytest.mark.xdist_group(slug))


@pytest.fixture(params=harness.all_slugs())
def slug(request):
    return request.param
