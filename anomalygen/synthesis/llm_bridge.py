"""How `generate` uses the optional LLM layer: a second opinion on paths z3 could only partly read, and values
for statements real logs never showed. Everything the model returns is validated by the layer (regex, leaks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anomalygen.core.statements import LogStatement
from anomalygen.source.paths import PathRecord
from anomalygen.synthesis.feasibility import condition_dicts


@dataclass
class LLMBridge:
    client: Any
    budget: int
    statements: dict[str, LogStatement]
    seed: int
    analysis: Any = None

    @classmethod
    def create(cls, backend: str, seed: int, budget: int, statements: dict[str, LogStatement]) -> LLMBridge:
        from anomalygen.synthesis.llm import LLMConfig, make_client

        client = make_client(LLMConfig.from_env(backend=backend, seed=seed))
        return cls(client, budget, statements, seed)

    def verify(self, records: list[PathRecord]) -> list[bool | None]:
        """False for paths the model judges infeasible; None where it was not asked or could not say."""
        from anomalygen.synthesis.llm import PathView, verify_paths

        if self.client is None or self.budget <= 0 or self.analysis is None:
            return [None] * len(records)
        take = records[: self.budget]
        self.budget -= len(take)
        stmts = {k: v.to_dict() for k, v in self.statements.items()}
        views = [
            PathView.from_record(
                {
                    "id": str(i),
                    "entry": r.entry,
                    "events": r.events,
                    "exit": r.exit,
                    "conditions": condition_dicts(r, self.analysis),
                },
                stmts,
            )
            for i, r in enumerate(take)
        ]
        answers = [v.feasible for v in verify_paths(self.client, views)]
        return answers + [None] * (len(records) - len(take))

    def propose(self, gen: Any) -> int:
        """Values for slots of statements without real values, added to the generator's value model."""
        from anomalygen.synthesis.llm import LeakGuard, propose_values_batch

        self.analysis = gen.a
        if self.client is None:
            return 0
        todo = [st for st in self.statements.values() if "<*>" in st.template and gen.model.observed(st, 0) is None][
            : self.budget
        ]
        if not todo:
            return 0
        guard = LeakGuard(seed=self.seed)
        batch = [(st.to_dict(), [gen.model.kind(st, i) for i in range(st.template.count("<*>"))], 5) for st in todo]
        added = 0
        for st, rows in zip(todo, propose_values_batch(self.client, batch, guard), strict=True):
            for row in rows:
                for i, v in enumerate(row):
                    slot = gen.model.slots.setdefault(f"{st.id}#{i}", {})
                    slot[v] = slot.get(v, 0) + 1
                added += 1
        return added

    def usage(self) -> dict | None:
        return self.client.usage.as_dict() if self.client is not None else None
