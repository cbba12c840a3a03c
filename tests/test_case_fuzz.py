"""Property-based fuzz of case files: whatever the text, loading gives a Case or a CaseError.

The valid cases in ``cases/`` are mutated at the text level (lines deleted,
duplicated or truncated, bytes inserted, values swapped for other types, unit
garbage, renamed keys, anchors, aliases and tags, deep nesting, huge numbers).
``load_case_text`` must either return a Case or raise CaseError with a
message for every problem, and ``chemomech check`` must exit 0 or 2 without a
traceback. Hypothesis runs derandomized and without its example database, so
the run is the same every time.
"""

import contextlib
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chemomech import cli
from chemomech.case import Case, CaseError, load_case, load_case_text

# The crashes the fuzz found are regression cases in test_case_errors.py
# (among them a unit power tower, "1 m*9**9**9", that pint would evaluate
# for hours and gigabytes). Parsing is not parallel: serial pass only.

try:
    from chemomech.dolfinx_compat import MPI

    RANK = MPI.COMM_WORLD.rank
except ImportError:  # pure-Python tests still run without DOLFINx
    RANK = 0

# ruamel warns (and goes on) where an anchor is defined twice, as duplicated lines do.
pytestmark = [pytest.mark.serial, pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")]
CASES = {path.name: path.read_text(encoding="utf-8") for path in sorted(Path(__file__).parents[1].glob("cases/*.yaml"))}
SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
KEY_LINE = re.compile(r"^(\s*(?:- )?)([A-Za-z_][\w-]*)(\s*:)(.*)$")

UNIT_GARBAGE = [
    "60 parsecs",
    "MPa",
    "1e999 um",
    "-1e999 um",
    "nan um",
    "-inf MPa",
    "inf um",
    "60 um um",
    "60 µm",
    "60 μm",
    "60 um²",
    "6 0 um",
    "60 um/",
    "60 um**",
    "60 um ** 1e9",
    "60 um^1e308",
    "60 1/0",
    "60 um / 0",
    "60 (um",
    "60 um)",
    "60 __import__('os')",
    "60 um; rm -rf /",
    "60 °C",
    "60 degC",
    "60 delta_degC",
    "1e-400 um",
    "0x10 um",
    "1_000 um",
    "60 dimensionless",
    "60 %",
    "60 percent",
    "60 C",
    "C/0",
    "C/-1",
    "0 C",
    "1e999 C",
    "C/1e-999",
    "C/1e999",
    "nan C",
    "60 😀",
    "60 um\u200b",
    "60\u00a0um",
    "６０ um",
    "60 Å",
    "60 mAh/g/g",
    "60 N/m/m",
    "60 m" + "*m" * 50,
    "1" * 400 + " um",
    "0." + "0" * 400 + "1 um",
    "60 " + "u" * 300,
]
SCALARS = st.one_of(
    st.sampled_from(UNIT_GARBAGE),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    st.just("x" * 5000),
)


def yaml_scalar(value) -> str:
    """``value`` written as a YAML flow scalar (strings double-quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    escaped = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"'


# Values written into the text as they are (not quoted): other types, YAML features, nesting.
RAW_VALUES = [
    "[]",
    "{}",
    "[1, 2, 3]",
    "[60 um, 70 um]",
    "{a: 1, b: [2, 3]}",
    "{thickness: 60 um}",
    "null",
    "~",
    "true",
    "no",
    "yes",
    "0",
    "-1",
    "1e999",
    "-1e999",
    ".nan",
    ".inf",
    "-.inf",
    "0o777",
    "0x1F",
    "1_000",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "12:30:00",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!str 60 um",
    "!!int 60",
    "!!float 60",
    "!!null ''",
    "!!bool yes",
    "!!python/object:os.system {}",
    "!!python/object/apply:os.system ['echo FUZZ-PWNED']",
    "!!python/name:os.system",
    "!!python/tuple [1, 2]",
    "!custom 60 um",
    "!<tag:yaml.org,2002:str> 60 um",
    "&anchor 60 um",
    "*anchor",
    "*undefined_alias",
    "&a [*a]",
    "? [complex, key]\n  : value",
    "|\n  60 um\n  70 um",
    ">\n  60 um",
    "'60 um'",
    '"60\\tum"',
    '"\\x00"',
    "'unterminated",
    '"unterminated',
    "[unclosed",
    "{unclosed: 1",
    "@reserved",
    "`reserved",
    "%directive",
    "--- 60 um",
    "...",
    "60 um # comment",
    "60 um #",
    "- a\n- b",
    "[" * 50 + "]" * 50,
    "{a: " * 50 + "1" + "}" * 50,
    "[" * 400 + "]" * 400,
    "{a: " * 400 + "1" + "}" * 400,
    "[" * 400,
    "9" * 5000,
    "-" + "9" * 5000 + " um",
    "1e309 um",
]


def billion_laughs(depth: int) -> str:
    """A mapping of aliases that doubles at each level (never expanded by the loader?)."""
    lines = ["a0: &a0 [lol, lol]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, depth)]
    return "\n".join(lines) + "\n"


def deep_block(depth: int) -> str:
    """A block mapping nested ``depth`` levels deep."""
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + "  " * depth + "leaf: 1\n"


@st.composite
def mutated(draw) -> str:
    """A case from ``cases/`` with one to four mutations."""
    text = CASES[draw(st.sampled_from(sorted(CASES)))]
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(MUTATIONS))(draw, text)
    return text


def _line_index(draw, lines: list[str]) -> int:
    return draw(st.integers(0, max(len(lines) - 1, 0)))


def _key_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if KEY_LINE.match(line)]


def delete_line(draw, text):
    lines = text.splitlines(keepends=True)
    if lines:
        del lines[_line_index(draw, lines)]
    return "".join(lines)


def delete_lines(draw, text):
    lines = text.splitlines(keepends=True)
    start = _line_index(draw, lines)
    return "".join(lines[:start] + lines[start + draw(st.integers(1, 10)) :])


def duplicate_line(draw, text):
    """A duplicated key (or list item) in the same mapping."""
    lines = text.splitlines(keepends=True)
    if lines:
        i = _line_index(draw, lines)
        lines.insert(i, lines[i] if lines[i].endswith("\n") else lines[i] + "\n")
    return "".join(lines)


def swap_lines(draw, text):
    lines = text.splitlines(keepends=True)
    if len(lines) > 1:
        i, j = _line_index(draw, lines), _line_index(draw, lines)
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines) + ("" if text.endswith("\n") or not text else "\n")


def replace_value(draw, text, values):
    lines = text.splitlines(keepends=True)
    keyed = _key_lines(lines)
    if not keyed:
        return text
    i = draw(st.sampled_from(keyed))
    indent, key, colon, _ = KEY_LINE.match(lines[i].rstrip("\n")).groups()
    value = draw(values)
    pad = " " * (len(indent) + 2)
    value = value.replace("\n", "\n" + pad)
    lines[i] = f"{indent}{key}{colon} {value}\n"
    return "".join(lines)


def swap_type(draw, text):
    return replace_value(draw, text, st.sampled_from(RAW_VALUES))


def swap_scalar(draw, text):
    return replace_value(draw, text, SCALARS.map(yaml_scalar))


def unit_garbage_in_flow(draw, text):
    """Replace a quantity such as ``60 um`` anywhere (flow mappings included)."""
    quantities = list(re.finditer(r"-?\d[\d.eE+-]*\s*[A-Za-zµ/]+(?:/[A-Za-z]+)?", text))
    if not quantities:
        return text
    match = draw(st.sampled_from(quantities))
    garbage = draw(st.sampled_from(UNIT_GARBAGE))
    if draw(st.booleans()):
        garbage = yaml_scalar(garbage)
    return text[: match.start()] + garbage + text[match.end() :]


def rename_key(draw, text):
    lines = text.splitlines(keepends=True)
    keyed = _key_lines(lines)
    if not keyed:
        return text
    i = draw(st.sampled_from(keyed))
    indent, key, colon, rest = KEY_LINE.match(lines[i].rstrip("\n")).groups()
    new = draw(
        st.one_of(
            st.sampled_from(
                [
                    key + "s",
                    key[:-1],
                    key.upper(),
                    "version",
                    "geometry",
                    "name",
                    "type",
                    "materials",
                    "__class__",
                    "model_config",
                    "1",
                    "null",
                    "true",
                    "~",
                    "[a, b]",
                    "{a: 1}",
                    "? complex",
                    "&k key",
                    "*k",
                    '"quoted key"',
                    "ключ",
                    "😀",
                ]
            ),
            st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
        )
    )
    lines[i] = f"{indent}{new}{colon}{rest}\n"
    return "".join(lines)


def truncate(draw, text):
    data = text.encode("utf-8")
    cut = draw(st.integers(0, len(data)))
    return data[:cut].decode("utf-8", errors="ignore")


def insert_bytes(draw, text):
    """Random bytes at a random place (decoded leniently, as a file read would fail otherwise)."""
    data = text.encode("utf-8")
    at = draw(st.integers(0, len(data)))
    junk = draw(
        st.one_of(
            st.binary(min_size=1, max_size=20),
            st.sampled_from(
                [
                    b"\x00",
                    b"\t",
                    b"\r",
                    b"\r\n",
                    b"\xef\xbb\xbf",
                    b"\x1b[31m",
                    b"\x85",
                    b"\xe2\x80\xa8",
                    b":",
                    b"- ",
                    b"? ",
                    b"---\n",
                    b"...\n",
                    b"%YAML 1.1\n",
                    b"%TAG ! tag:x,2000:\n",
                    b"#",
                ]
            ),
        )
    )
    return (data[:at] + junk + data[at:]).decode("utf-8", errors="replace")


def insert_text(draw, text):
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(max_size=20)) + text[at:]


def append_block(draw, text):
    """A top-level (or nested) section of something odd."""
    block = draw(
        st.sampled_from(
            [
                deep_block(30),
                deep_block(300),
                billion_laughs(10),
                billion_laughs(30),
                "anchor_base: &base {type: gap, preload: 50 MPa}\nfixture: *base\n",
                "fixture:\n  <<: *nowhere\n",
                "fixture:\n  <<: [1, 2]\n",
                "fixture:\n  <<: {type: gap}\n  type: spring\n",
                "solver: !!python/object/apply:os.system ['echo FUZZ-PWNED']\n",
                "solver: !!python/object/new:chemomech.case.Case {}\n",
                "!!python/object:object {}: 1\n",
                "? !!python/object/apply:os.getcwd []\n: 1\n",
                "[a, b]: 1\n",
                "{a: 1}: 2\n",
                "1: one\n",
                "null: nothing\n",
                "true: yes\n",
                "1.5: x\n",
                "? - complex\n: key\n",
                "geometry: " + "[" * 400 + "]" * 400 + "\n",
                "name: " + "x" * 100000 + "\n",
                "version: " + "9" * 10000 + "\n",
                "version: 1e999\n",
                "version: .nan\n",
                "version: 2\n",
                "version: true\n",
                "--- \nsecond: document\n",
                "---\n- list document\n",
                "...\n",
                "\x00\n",
                "\ufeffgeometry: 1\n",
                "geometry: &g\n  self: *g\n",
                "materials: &m\n  x: *m\n",
                "lithiation: &l {protocol: [*l]}\n",
                "materials:\n  cathode_mix:\n    base: sulfur\n    youngs_modulus: 1e999 GPa\n",
                "materials:\n  m:\n    base: nonexistent\n",
                "materials:\n  m: {}\n",
                "materials: [1, 2]\n",
                "materials:\n  null: {base: sulfur}\n",
                "materials:\n  1: {base: sulfur}\n",
                "materials:\n  [a]: {base: sulfur}\n",
                "outputs:\n  field_every: 1e999\n",
                "outputs:\n  field_every: " + "9" * 400 + "\n",
                "outputs:\n  field_every: -" + "9" * 400 + "\n",
            ]
        )
    )
    return text + ("" if text.endswith("\n") or not text else "\n") + block


def prepend(draw, text):
    head = draw(
        st.sampled_from(
            [
                "%YAML 1.2\n---\n",
                "%YAML 9.9\n---\n",
                "--- !!map\n",
                "--- !!seq\n",
                "--- !!str\n",
                "--- |\n",
                "--- &root\n",
                "\ufeff",
                "   ",
                "\t",
                "- ",
                "? ",
                "!!python/object:builtins.dict\n",
            ]
        )
    )
    return head + text


def indent_shift(draw, text):
    lines = text.splitlines(keepends=True)
    if lines:
        i = _line_index(draw, lines)
        lines[i] = draw(st.sampled_from(["", " ", "  ", "    ", "\t"])) + lines[i].lstrip(" ")
    return "".join(lines)


def wrap_value(draw, text):
    """Nest a value deep inside lists or mappings."""
    lines = text.splitlines(keepends=True)
    keyed = [i for i in _key_lines(lines) if KEY_LINE.match(lines[i].rstrip("\n")).group(4).strip()]
    if not keyed:
        return text
    i = draw(st.sampled_from(keyed))
    indent, key, colon, rest = KEY_LINE.match(lines[i].rstrip("\n")).groups()
    depth = draw(st.sampled_from([1, 2, 10, 100]))
    if draw(st.booleans()):
        value = "[" * depth + rest.strip() + "]" * depth
    else:
        value = "{k: " * depth + rest.strip() + "}" * depth
    lines[i] = f"{indent}{key}{colon} {value}\n"
    return "".join(lines)


MUTATIONS = [
    delete_line,
    delete_lines,
    duplicate_line,
    swap_lines,
    swap_type,
    swap_scalar,
    unit_garbage_in_flow,
    rename_key,
    truncate,
    insert_bytes,
    insert_text,
    append_block,
    prepend,
    indent_shift,
    wrap_value,
]


def check_loads(text: str):
    """The property: a Case, or a CaseError whose every problem has a message."""
    try:
        case = load_case_text(text, "case.yaml")
    except CaseError as err:
        assert err.problems, "a CaseError without problems"
        for problem in err.problems:
            assert problem.message.strip(), problem
            assert "\n" not in str(problem), problem  # one line per problem
            assert problem.file == "case.yaml", problem
            assert problem.line is None or problem.line >= 1, problem
        assert str(err).strip()
        return err
    assert isinstance(case, Case)
    return case


def test_valid_cases_load():
    """Every case file loads (from its folder: data files such as images resolve against it)."""
    assert CASES, "no case files in cases/"
    for name in CASES:
        assert isinstance(load_case(Path(__file__).parents[1] / "cases" / name), Case)


@pytest.mark.parametrize(
    "text",
    [
        billion_laughs(30),
        "a: " + "[" * 400 + "]" * 400,
        "a: &a [*a]\n",
        "a: &a {b: *a}\n",
        deep_block(1000),
    ],
)
def test_pathological_yaml(text):
    check_loads(text)


@settings(max_examples=1500, **SETTINGS)
@given(mutated())
def test_fuzz_load_case_text(text):
    check_loads(text)


@settings(max_examples=300, **SETTINGS)
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text(text):
    check_loads(text)


@settings(max_examples=150, **SETTINGS)
@given(text=mutated())
def test_fuzz_cli_check(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "case.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", str(path)])
    assert code in (0, 2), (code, err.getvalue())
    if RANK == 0:
        assert "Traceback" not in err.getvalue()
        assert (code == 0) == out.getvalue().startswith("ok: "), out.getvalue()
        if code == 2:
            lines = err.getvalue().splitlines()
            assert lines and all(line.startswith(str(path)) for line in lines), lines
    else:
        assert out.getvalue() == err.getvalue() == ""


def test_no_code_execution(tmp_path, capfd):
    """Python tags are refused by the safe loader, never executed."""
    marker = tmp_path / "pwned"
    text = CASES[min(CASES)] + f"solver: !!python/object/apply:os.system ['touch {marker}']\n"
    assert isinstance(check_loads(text), CaseError)
    assert not marker.exists()
    assert "FUZZ-PWNED" not in capfd.readouterr().out
