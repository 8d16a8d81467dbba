"""Each error class of the broker's hierarchy declares, on the class, the HTTP status it answers with."""

from __future__ import annotations

import inspect
from http import HTTPStatus

from broker.platform import errors


def _error_classes() -> list[type[errors.BrokerError]]:
    return [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, errors.BrokerError) and cls.__module__ == errors.__name__]


def test_every_error_class_declares_its_status_and_title_on_the_class():
    classes = _error_classes()
    assert len(classes) >= 8
    for cls in classes:
        assert "status" in vars(cls), f"{cls.__name__} does not declare its HTTP status"
        assert "title" in vars(cls), f"{cls.__name__} does not declare its title"
        assert 400 <= HTTPStatus(cls.status).value < 600


def test_the_statuses_are_the_ones_callers_are_told():
    assert {cls.__name__: cls.status for cls in _error_classes()} == {
        "BrokerError": 500, "InvalidInput": 422, "Unauthenticated": 401, "Forbidden": 403, "NotFound": 404,
        "Conflict": 409, "PayloadTooLarge": 413, "ServiceUnavailable": 503,
    }
