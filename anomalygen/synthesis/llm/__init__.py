"""Optional LLM layer of the synthesis stage: path-feasibility verdicts and parameter-value proposals.

Backends: "none" (default; make_client returns None and the pipeline stays deterministic), "openai" (any
OpenAI-compatible chat-completions server: vLLM, Ollama, llama.cpp's server, OpenAI), "local" (llama-cpp-python
in process; extra `llm-local`). Responses are cached on disk by prompt hash, so a re-run sends no requests.
"""

from anomalygen.synthesis.llm.cache import DiskCache, prompt_key
from anomalygen.synthesis.llm.client import LLMClient, LLMError, OpenAIClient, make_client, parse_json_object
from anomalygen.synthesis.llm.config import LLMConfig, LLMConfigError
from anomalygen.synthesis.llm.propose import LeakGuard, propose_values, propose_values_batch, render_template
from anomalygen.synthesis.llm.usage import Usage
from anomalygen.synthesis.llm.verify import PathView, Verdict, parse_verdict, verify_paths

__all__ = [
    "DiskCache",
    "LLMClient",
    "LLMConfig",
    "LLMConfigError",
    "LLMError",
    "LeakGuard",
    "OpenAIClient",
    "PathView",
    "Usage",
    "Verdict",
    "make_client",
    "parse_json_object",
    "parse_verdict",
    "prompt_key",
    "propose_values",
    "propose_values_batch",
    "render_template",
    "verify_paths",
]
