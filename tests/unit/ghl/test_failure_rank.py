"""Of several concurrent GHL calls' failures, the one that says most about what to do is raised."""

from leadflow_common.ghl.errors import (
    GhlAuthError,
    GhlNotFound,
    GhlServerError,
    GhlUnknownOutcome,
    GhlValidationError,
)
from leadflow_common.ghl.locations_api import failure_rank


def test_refused_credentials_then_refusals_then_unknown_outcomes_then_the_rest() -> None:
    server = GhlServerError("502", 502)
    unknown = GhlUnknownOutcome("no answer")
    rejected = GhlValidationError("bad phone", 422)
    missing = GhlNotFound("gone", 404)
    refused = GhlAuthError("401", 401)
    assert min([server, unknown, rejected, refused], key=failure_rank) is refused
    assert min([server, unknown, missing], key=failure_rank) is missing
    assert min([server, unknown], key=failure_rank) is unknown
    assert failure_rank(server) == failure_rank(OSError("reset"))  # both transient: the first raised
