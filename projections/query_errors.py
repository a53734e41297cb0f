"""The one error of the history queries: a bad query parameter, named, with what is wrong."""

from __future__ import annotations


class QueryError(ValueError):
    """`parameter` (as the HTTP query names it) is wrong; `message` says why. The HTTP layer
    answers 400 with both."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
