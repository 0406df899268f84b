"""The training loop the deep detectors share: seeded, mini-batched, early stopping on a held-out slice of the
training data (never the test set), a rich progress bar when `verbose`."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch


def seed_everything(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def split_holdout(n: int, fraction: float, seed: int, min_train: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    idx = rng.permutation(n)
    k = round(n * fraction) if n - round(n * fraction) >= min_train else 0
    return idx[k:], idx[:k]


def train_model(
    model: torch.nn.Module,
    loss_fn: Callable[[tuple[torch.Tensor, ...]], torch.Tensor],
    tensors: tuple[torch.Tensor, ...],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    validation_fraction: float = 0.1,
    patience: int = 3,
    verbose: bool = False,
    desc: str = "train",
) -> dict:
    """Adam on `loss_fn(batch)`; keeps the weights of the epoch with the lowest held-out loss."""
    gen = seed_everything(seed)
    n = len(tensors[0])
    tr, va = split_holdout(n, validation_fraction, seed, min_train=max(1, batch_size // 4))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    best_state, best_loss, bad, history = None, float("inf"), 0, []
    progress = _progress(verbose)
    task = progress.add_task(desc, total=epochs) if progress else None
    try:
        for epoch in range(epochs):
            model.train()
            perm = torch.as_tensor(tr)[torch.randperm(len(tr), generator=gen)]
            total = 0.0
            for start in range(0, len(perm), batch_size):
                batch = tuple(t[perm[start : start + batch_size]] for t in tensors)
                opt.zero_grad()
                loss = loss_fn(batch)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                opt.step()
                total += float(loss.detach()) * len(batch[0])
            train_loss = total / max(1, len(tr))
            val_loss = _eval_loss(model, loss_fn, tensors, va, batch_size) if len(va) else train_loss
            history.append({"epoch": epoch + 1, "train_loss": train_loss, "val_loss": val_loss})
            if progress:
                progress.update(task, advance=1, description=f"{desc} loss {train_loss:.4f} val {val_loss:.4f}")
            if val_loss < best_loss - 1e-6:
                best_loss, bad, best_state = val_loss, 0, copy.deepcopy(model.state_dict())
            else:
                bad += 1
                if bad >= patience:
                    break
    finally:
        if progress:
            progress.stop()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return {"epochs_run": len(history), "best_val_loss": best_loss, "history": history}


@torch.no_grad()
def _eval_loss(model, loss_fn, tensors, idx, batch_size) -> float:
    model.eval()
    total = 0.0
    for start in range(0, len(idx), batch_size):
        sel = torch.as_tensor(idx[start : start + batch_size])
        total += float(loss_fn(tuple(t[sel] for t in tensors))) * len(sel)
    return total / len(idx)


def _progress(verbose: bool):
    if not verbose:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    p = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    )
    p.start()
    return p


@torch.no_grad()
def batched(fn: Callable[..., torch.Tensor], tensors: tuple[torch.Tensor, ...], batch_size: int) -> torch.Tensor:
    outs = [fn(*(t[s : s + batch_size] for t in tensors)) for s in range(0, len(tensors[0]), batch_size)]
    return torch.cat(outs) if outs else torch.zeros(0)
