"""One exception hierarchy for residence_rules.

Every error names where it comes from: the file and line of a parameter or case file, the key, the case,
or the situation. ``str(error)`` is the message a policy officer reads; the attributes let code react.
"""

from __future__ import annotations


class RulesError(Exception):
    """Base class of every error raised by residence_rules."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        case: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        self.case = case
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [p for p in (where, f"case {self.case!r}" if self.case else "", self.key or "") if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


# --- parameter files -------------------------------------------------------------------------------
class ParameterFileError(RulesError):
    """A parameter file is refused at load time; nothing from the directory is used."""


class YamlSyntaxError(ParameterFileError):
    """The file is not well-formed YAML (or has a duplicate key)."""


class UnknownKeyError(ParameterFileError):
    """A key that the schema does not know."""


class WrongTypeError(ParameterFileError):
    """A value of the wrong type or out of its allowed range."""


class OverlapError(ParameterFileError):
    """Two date ranges of one parameter overlap."""


class MissingSourceError(ParameterFileError):
    """A value has no source (document and the sentence or article)."""


class UnknownLocalityError(RulesError):
    """A locality that no parameter file defines."""


class NoValueInForceError(RulesError):
    """A parameter has no value in force on the evaluation date."""


# --- situations and evaluation ---------------------------------------------------------------------
class SituationError(RulesError):
    """A situation cannot be evaluated."""


class MissingInputError(SituationError):
    """A situation lacks an input an output needs."""


class InputTypeError(SituationError):
    """A situation gives a value of the wrong type."""


class UnknownInputError(SituationError):
    """A situation gives a key that is neither an input nor a computed variable."""


class UnknownOutputError(RulesError):
    """An output that the engine does not provide."""


# --- case files ------------------------------------------------------------------------------------
class CaseFileError(RulesError):
    """A case file is malformed."""


class OutputGivenError(SituationError):
    """A situation gives a value the rules compute (an output), without marking it as a deliberate override."""


class ContradictoryDatesError(SituationError):
    """Dates of one situation contradict each other or the as-of date."""


class UnknownAreaError(SituationError):
    """A registration interval names an area code that is neither GB/T 2260 nor declared by the locality."""
