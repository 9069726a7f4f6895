"""Field types shared by request models, so that one rule holds for every endpoint."""

from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict
from pydantic_core import PydanticCustomError

# The dates a request may name: from the first contribution years of the programme to the end of the
# century (as ContributionQuery's ``year``), never year 1 or 9999.
FIRST_DATE = date(2015, 1, 1)
LAST_DATE = date(2100, 12, 31)
RequestDate = Annotated[date, Field(ge=FIRST_DATE, le=LAST_DATE)]


def refuse_bool(value: Any) -> Any:
    # JSON's true is not the number 1 (pydantic's lax mode would take it for one).
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer, not a boolean")
    return value


NotBool = BeforeValidator(refuse_bool)

# A number in a JSON body: an integer, not true, "5" or 5.0.
JsonInt = Annotated[int, Strict()]

# An amount of money received or paid back in one request: positive whole rupiah, at most a billion
# (a year of the highest bracket is a few million).
MAX_RUPIAH = 1_000_000_000
Rupiah = Annotated[int, Strict(), Field(gt=0, le=MAX_RUPIAH)]
