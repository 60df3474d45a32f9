"""The closed set of rejection reasons (a metric label) and the mapping from pydantic errors."""

BAD_JSON = "bad_json"
OVERSIZED = "oversized"
NOT_AN_OBJECT = "not_an_object"
BAD_ENVELOPE = "bad_envelope"
UNKNOWN_TYPE = "unknown_type"
WRONG_TOPIC = "wrong_topic"
UNKNOWN_FIELD = "unknown_field"
MISSING_FIELD = "missing_field"
NAIVE_TIMESTAMP = "naive_timestamp"
FUTURE_TIMESTAMP = "future_timestamp"
ANCIENT_TIMESTAMP = "ancient_timestamp"
UNKNOWN_VALUE = "unknown_value"
SCORE_OUT_OF_RANGE = "score_out_of_range"
OUT_OF_RANGE = "out_of_range"
WRONG_TYPE = "wrong_type"
BAD_FORMAT = "bad_format"
INCONSISTENT = "inconsistent"
UNKNOWN_QUESTIONNAIRE = "unknown_questionnaire"
INVALID = "invalid"
PROCESSING_ERROR = "processing_error"

ALL = (
    BAD_JSON, OVERSIZED, NOT_AN_OBJECT, BAD_ENVELOPE, UNKNOWN_TYPE, WRONG_TOPIC, UNKNOWN_FIELD,
    MISSING_FIELD, NAIVE_TIMESTAMP, FUTURE_TIMESTAMP, ANCIENT_TIMESTAMP, UNKNOWN_VALUE,
    SCORE_OUT_OF_RANGE, OUT_OF_RANGE, WRONG_TYPE, BAD_FORMAT, INCONSISTENT,
    UNKNOWN_QUESTIONNAIRE, INVALID, PROCESSING_ERROR,
)

_BY_PYDANTIC_TYPE = {
    "extra_forbidden": UNKNOWN_FIELD,
    "missing": MISSING_FIELD,
    "timezone_aware": NAIVE_TIMESTAMP,
    "future_timestamp": FUTURE_TIMESTAMP,
    "ancient_timestamp": ANCIENT_TIMESTAMP,
    "enum": UNKNOWN_VALUE,
    "literal_error": UNKNOWN_VALUE,
    "score_out_of_range": SCORE_OUT_OF_RANGE,
    "inconsistent": INCONSISTENT,
    "greater_than": OUT_OF_RANGE,
    "greater_than_equal": OUT_OF_RANGE,
    "less_than": OUT_OF_RANGE,
    "less_than_equal": OUT_OF_RANGE,
    "finite_number": OUT_OF_RANGE,
    "string_too_short": BAD_FORMAT,
    "string_too_long": BAD_FORMAT,
    "string_pattern_mismatch": BAD_FORMAT,
    "too_short": BAD_FORMAT,
    "too_long": BAD_FORMAT,
}
_TYPE_SUFFIXES = ("_type", "_parsing", "_from_datetime_inexact")


def from_pydantic(error_type: str) -> str:
    """Map a pydantic error type (``err["type"]``) onto a rejection reason."""
    reason = _BY_PYDANTIC_TYPE.get(error_type)
    if reason is not None:
        return reason
    if error_type.endswith(_TYPE_SUFFIXES) or error_type in {"datetime_from_date_parsing"}:
        return WRONG_TYPE
    return INVALID
