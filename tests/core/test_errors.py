"""Every stage's input error is an `InputError`, so the one error mapper needs no stage to know them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from anomalygen import errors
from anomalygen.core.datasets import DataFormatError
from anomalygen.core.errors import InputError
from anomalygen.core.formats import FormatError
from anomalygen.run.config import ConfigError
from anomalygen.synthesis.labels import RulesError
from anomalygen.synthesis.llm.client import LLMError
from anomalygen.synthesis.llm.config import LLMConfigError

STAGE_ERRORS = (FormatError, DataFormatError, ConfigError, RulesError, LLMConfigError, LLMError)


@pytest.mark.parametrize("cls", STAGE_ERRORS, ids=lambda c: c.__name__)
def test_stage_input_errors_become_one_line_and_exit_2(cls):
    assert issubclass(cls, InputError)
    assert errors.describe(cls("x.log:3: bad header")) == ("x.log:3: bad header", errors.BAD_INPUT)


def test_llm_error_is_still_a_runtime_error():
    # callers that catch RuntimeError around a request (an unreachable endpoint) keep catching it
    assert issubclass(LLMError, RuntimeError)


def test_a_bug_is_not_an_input_error():
    assert errors.describe(KeyError("x")) is None


def test_error_mapper_imports_no_stage():
    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    project = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("anomalygen")
    }
    assert project <= {"anomalygen.core.errors", "anomalygen.parallel"}
