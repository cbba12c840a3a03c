"""Quantities with units: one pint registry and the annotated field types.

Every dimensional value in a case file is a string such as ``"60 um"`` or
``"50 MPa"``. The types defined here parse it with pint, check its
dimensionality and sign, and hand pydantic a plain SI float. A bare number
for a dimensional field is rejected: ``thickness: 60`` is far more likely to
mean micrometres than metres. C-rates are the exception (``0.1`` is allowed)
and are parsed here rather than by pint, which reads ``C`` as coulomb.
"""

from __future__ import annotations

import math
import re
from functools import partial
from typing import Annotated, Any, Literal

import pint
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
# Plain groups (no names) so that the patterns are valid JSON Schema regexes.
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*((?:1\s*/\s*)?[^\d\s.,+-].*?)\s*$")  # magnitude, unit (may start "1/")
_C_RATE = re.compile(rf"^\s*(?:({_NUMBER})?\s*C|C\s*/\s*({_NUMBER})|({_NUMBER}))\s*$")  # n C, C/n, n
_POWER = re.compile(r"\b([A-Za-zµμ]+)([23])\b")  # "cm3" -> "cm**3"
# pint evaluates numbers in unit text exactly: "m*9**9**9" would compute a
# power tower (hours, gigabytes). Unit text holds short numbers only, and no
# chained powers.
_UNSAFE_UNIT = re.compile(r"\d{4,}|(?:\*\*|\^)\s*[-+(]*\s*[\w.]+\s*\)*\s*(?:\*\*|\^)")

ureg = pint.UnitRegistry(preprocessors=[lambda text: _POWER.sub(r"\1**\2", text)])
"""The one unit registry of chemomech (pint quantities must share a registry)."""
ureg.define("microstrain = 1e-6 = µε")

Sign = Literal["positive", "non-negative", "any"]
_C_RATE_EXPECTED = "a positive C-rate like '0.1 C', 'C/10' or 0.1"


def value_error(expected: str, got: str) -> PydanticCustomError:
    """The error to raise for a bad value; the loader reads ``expected`` and ``got``."""
    return PydanticCustomError("quantity", "expected {expected}, got {got}", {"expected": expected, "got": got})


def show_value(value: Any) -> str:
    """A value as the user wrote it, for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def _signed(number: float, sign: Sign, written: Any, expected: str) -> float:
    """``number`` as a float if it is finite and has the required sign."""
    if not math.isfinite(number) or (sign != "any" and number < 0) or (sign == "positive" and number == 0):
        raise value_error(expected, show_value(written))
    return float(number)


def to_si(value: Any, name: str, dimensionality: str, example: str, sign: Sign) -> float:
    """Parse ``value``, a string such as ``"60 um"``, and return its SI magnitude.

    ``name``, ``example`` and ``sign`` word the error; ``dimensionality`` is a
    pint dimensionality such as ``"[length]"``.
    """
    expected = f"a {name} like '{example}'" if sign == "any" else f"a {sign} {name} like '{example}'"
    if not isinstance(value, str):
        raise value_error(expected, show_value(value))
    match = _QUANTITY.match(value)
    if match is None or "," in value:
        raise value_error(expected, f"{value!r} (write a number, then a unit)")
    magnitude, unit = match.groups()
    if _UNSAFE_UNIT.search(unit):
        raise value_error(expected, f"{value!r} (a unit with long numbers or chained powers)")
    try:
        quantity = float(magnitude) * ureg.parse_units(unit)
    except Exception as err:  # noqa: BLE001 - pint raises many types (TokenError, KeyError, ...) on bad text
        raise value_error(expected, f"{value!r} ({err})") from None
    if not quantity.check(dimensionality):
        raise value_error(expected, f"{value!r}, which is not a {name}")
    return _signed(quantity.to_base_units().magnitude, sign, value, expected)


def quantity(name: str, dimensionality: str, example: str, sign: Sign = "positive") -> Any:
    """An annotated float type for one kind of dimensional field (see :func:`to_si`)."""
    schema = {
        "type": "string",
        "pattern": _QUANTITY.pattern,
        "description": f"{sign} {name} with units, e.g. '{example}'",
        "examples": [example],
    }
    parse = partial(to_si, name=name, dimensionality=dimensionality, example=example, sign=sign)
    return Annotated[float, BeforeValidator(parse), WithJsonSchema(schema)]


def c_rate(value: Any) -> float:
    """Parse a C-rate (``"0.1 C"``, ``"C/10"``, ``"2C"`` or a bare number) in 1/h."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _signed(value, "positive", value, _C_RATE_EXPECTED)
    match = _C_RATE.match(value) if isinstance(value, str) else None
    if match is None:
        raise value_error(_C_RATE_EXPECTED, show_value(value))
    multiple, divisor, bare = match.groups()
    if divisor is not None:
        rate = 1.0 / float(divisor) if float(divisor) else math.inf
    else:
        rate = float(multiple or bare or 1.0)
    return _signed(rate, "positive", value, _C_RATE_EXPECTED)


def length_unit(value: Any) -> float:
    """Parse a unit of length such as ``"um"``; return metres per unit."""
    expected = "a unit of length like 'um' or 'mm'"
    if not isinstance(value, str) or not value.strip() or _QUANTITY.match(f"1 {value}") is None:
        raise value_error(expected, show_value(value))
    try:
        return to_si(f"1 {value}", "length", "[length]", "60 um", "positive")
    except PydanticCustomError:
        raise value_error(expected, show_value(value)) from None


Length = quantity("length", "[length]", "60 um")
"""Positive length in m."""
Modulus = quantity("elastic modulus", "[pressure]", "22 GPa")
"""Positive elastic modulus in Pa."""
Pressure = quantity("pressure", "[pressure]", "50 MPa", "non-negative")
"""Non-negative pressure in Pa."""
Stress = quantity("stress", "[pressure]", "0.8 MPa")
"""Positive stress (strength, pressing pressure) in Pa."""
FractureEnergy = quantity("fracture energy", "[energy] / [length] ** 2", "2.7 J/m^2")
"""Positive energy per crack area (G_c) in J/m²."""
InversePressure = quantity("inverse pressure", "1 / [pressure]", "4.8e-3 1/MPa")
"""Positive inverse pressure (compressibility, Heckel slope) in 1/Pa."""
Rate = quantity("rate", "1 / [time]", "1.4e-5 1/s")
"""Positive rate in 1/s."""
Time = quantity("duration", "[time]", "1 h")
"""Positive duration in s."""
Stiffness = quantity("stiffness", "[force] / [length]", "1e8 N/m")
"""Positive spring stiffness in N/m."""
Density = quantity("density", "[mass] / [length] ** 3", "1.86 g/cm3")
"""Positive mass density in kg/m³."""
SpecificCapacity = quantity("specific capacity", "[charge] / [mass]", "1000 mAh/g", "non-negative")
"""Non-negative capacity per mass of sulfur in C/kg (1 mAh/g = 3600 C/kg)."""
Coordinate = quantity("coordinate", "[length]", "2 mm", "non-negative")
"""Non-negative position coordinate in m (models live in x, y, r, z ≥ 0)."""
Gap = quantity("gap", "[length]", "0.5 um", "non-negative")
"""Non-negative distance between surfaces in m."""
TemperatureChange = quantity("temperature change", "[temperature]", "2 K", "any")
"""Temperature change in K, either sign."""
ThicknessPerCapacity = quantity(
    "thickness change per areal capacity", "[length] ** 3 / [current] / [time]", "4.85 um/(mAh/cm2)"
)
"""Positive thickness change per areal charge in m³/C (4.85 um per mAh/cm² = 1.347e-10 m³/C)."""
VolumetricCapacity = quantity("volumetric capacity", "[current] * [time] / [length] ** 3", "609 mAh/cm3")
"""Positive charge per volume in C/m³ (1 mAh/cm³ = 3.6e6 C/m³)."""
Volume = quantity("volume", "[length] ** 3", "1 mm3")
"""Positive volume in m³."""
FractureToughness = quantity("fracture toughness", "[pressure] * [length] ** 0.5", "0.23 MPa*m^0.5")
"""Positive fracture toughness K_IC in Pa·m^½."""
Diffusivity = quantity("diffusivity", "[length] ** 2 / [time]", "1e-14 cm2/s")
"""Positive diffusion coefficient in m²/s."""
MolarVolume = quantity("molar volume", "[length] ** 3 / [substance]", "6.1 cm3/mol")
"""Positive (partial) molar volume in m³/mol."""
Concentration = quantity("concentration", "[substance] / [length] ** 3", "1.29e5 mol/m3")
"""Positive amount of substance per volume in mol/m³."""
Temperature = quantity("absolute temperature", "[temperature]", "298 K")
"""Positive absolute temperature in K."""
Conductivity = quantity("conductivity", "[current] ** 2 * [time] ** 3 / [mass] / [length] ** 3", "3 mS/cm")
"""Positive electric (ionic or electronic) conductivity in S/m."""
CurrentDensity = quantity("current density", "[current] / [length] ** 2", "0.1 mA/cm2")
"""Positive current per area in A/m² (an exchange current density)."""
Voltage = quantity("voltage", "[mass] * [length] ** 2 / [time] ** 3 / [current]", "1.2 V")
"""Positive cell voltage in V."""
CRate = Annotated[
    float,
    BeforeValidator(c_rate),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": _C_RATE.pattern},
            ],
            "description": "C-rate in 1/h, e.g. '0.1 C', 'C/10' or 0.1",
            "examples": ["0.1 C", "C/10", 0.1],
        }
    ),
]
"""Positive C-rate in 1/h ("C/10" is 0.1)."""
LengthUnit = Annotated[
    float,
    BeforeValidator(length_unit),
    WithJsonSchema({"type": "string", "description": "a unit of length, e.g. 'um'", "examples": ["um", "mm"]}),
]
"""A unit of length ("um"), as metres per unit."""
