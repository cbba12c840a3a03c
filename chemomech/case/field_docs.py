"""The case format's JSON schema, each field described by its attribute docstring.

A field of a case model is documented by the string literal under it::

    name: str
    \"\"\"Region name (an identifier), used for tags and outputs.\"\"\"

Pydantic can read these itself (``use_attribute_docstrings``), but it does so
for every model class at import, with ``inspect`` and ``ast`` on each class's
source: 0.09 s of the start of every process that loads a case, on every
rank. Only the JSON schema (``chemomech schema``) shows them, so they are
read here, when it is asked for, and set as the description of the field's
property, as pydantic would have set them.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any, get_args

from pydantic import BaseModel


def documented_json_schema(model: type[BaseModel]) -> dict:
    """``model.model_json_schema()`` with every documented field's docstring as its description."""
    schema = model.model_json_schema()
    models = _models(model)
    for name, definition in [(model.__name__, schema), *schema.get("$defs", {}).items()]:
        if name not in models or "properties" not in definition:
            continue
        docs = attribute_docstrings(models[name])
        properties = definition["properties"]
        for field in properties.keys() & docs.keys():
            # A field schema's keys in sorted order, as pydantic writes them.
            properties[field] = dict(sorted({**properties[field], "description": docs[field]}.items()))
    return schema


def attribute_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> docstring, for the fields declared in ``model`` and its bases (a subclass's wins)."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if issubclass(cls, BaseModel) and cls is not BaseModel:
            docs.update(_declared(cls))
    return docs


def _declared(cls: type) -> dict[str, str]:
    """Docstrings of the annotated names in the body of ``cls``: a string statement right after each."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # no source: a class made at run time
        return {}
    body = ast.parse(source).body[0].body
    return {
        statement.target.id: inspect.cleandoc(following.value.value)
        for statement, following in zip(body, body[1:], strict=False)
        if isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
        and isinstance(following, ast.Expr)
        and isinstance(following.value, ast.Constant)
        and isinstance(following.value.value, str)
    }


def _models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Class name -> class of ``model`` and every model its fields' types reach (the schema's ``$defs``)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ in found:
                return
            found[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                visit(field.annotation)
        for argument in get_args(annotation):
            visit(argument)

    visit(model)
    return found
