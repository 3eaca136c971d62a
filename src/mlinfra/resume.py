"""Demo machinery for question 4 (checkpoints): a small training run whose result depends on every piece of state.

The run uses every source of randomness a real training job has: Dropout (torch's global RNG), a shuffling
DataLoader with its own ``torch.Generator``, and a data augmentation that draws from Python's ``random`` and from
NumPy (as many augmentation libraries do). It has an optimizer with state (Adam), an LR scheduler and, optionally,
mixed precision with a ``GradScaler``. :func:`snapshot` and :func:`restore` copy that state in memory so the notebook
can leave out one field at a time; the file format and the exercise functions live in the notebook, not here.

Run as a script (``python -m mlinfra.resume DIR --epochs N``) it rebuilds every object in a fresh process, loads
``DIR/checkpoint.pt`` and trains to epoch N, for the notebook's "resume in a new process" demo.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlinfra.data import make_blobs
from mlinfra.env import seed_everything
from mlinfra.models import mlp

#: The fields a complete in-memory snapshot holds (the RNG states are nested under "rng").
FIELDS = (
    "model",
    "optimizer",
    "scheduler",
    "epoch",
    "step",
    "rng.python",
    "rng.numpy",
    "rng.torch",
    "rng.generator",
    "scaler",
)


def load_data(n: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """The blobs every process of the demo trains on (generated, so a fresh process gets the same data)."""
    return make_blobs(n=n, num_features=8, num_classes=4, spread=2.5, seed=0)


@dataclass
class Run:
    """Every object of one training run."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator
    loader: DataLoader
    scaler: torch.amp.GradScaler | None = None
    #: the shuffle generator's state at the start of the current epoch (needed to resume mid-epoch)
    generator_at_epoch_start: torch.Tensor | None = field(default=None, repr=False)


def make_run(X: torch.Tensor, y: torch.Tensor, seed: int = 0, amp: bool = False, batch_size: int = 32) -> Run:
    """Build model, optimizer, scheduler, generator and loader from scratch.

    The initial weights are drawn from torch's global RNG as it is (seed it first for a reproducible start);
    ``seed`` seeds only the loader's own shuffle generator.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed moet een geheel getal >= 0 zijn, niet {seed!r}")
    model = mlp(X.shape[1], 32, int(y.max()) + 1, dropout=0.3)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=generator)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16, growth_interval=4) if amp else None
    return Run(model, optimizer, scheduler, generator, loader, scaler)


def augment(X_batch: torch.Tensor) -> torch.Tensor:
    """Jitter half of the batches with Gaussian noise: the coin from ``random``, the noise from NumPy."""
    if random.random() < 0.5:
        return X_batch + torch.from_numpy(np.random.normal(0.0, 0.3, size=tuple(X_batch.shape))).float()
    return X_batch


def train(run: Run, start_epoch: int, end_epoch: int, start_step: int = 0, stop_step: int | None = None) -> None:
    """Train epochs ``start_epoch .. end_epoch - 1``.

    ``start_step`` skips the first batches of the first epoch (resume mid-epoch); ``stop_step`` stops after that many
    batches of the last epoch, before its scheduler step (save mid-epoch).
    """
    loss_fn = nn.CrossEntropyLoss()
    run.model.train()
    for epoch in range(start_epoch, end_epoch):
        run.generator_at_epoch_start = run.generator.get_state()
        batches = iter(run.loader)  # draws this epoch's permutation from run.generator
        first = start_step if epoch == start_epoch else 0
        for _ in range(first):
            next(batches)
        for step, (X_batch, y_batch) in enumerate(batches, start=first):
            if stop_step is not None and epoch == end_epoch - 1 and step == stop_step:
                return
            run.optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16, enabled=run.scaler is not None):
                loss = loss_fn(run.model(augment(X_batch)), y_batch)
            if run.scaler is None:
                loss.backward()
                run.optimizer.step()
            else:
                run.scaler.scale(loss).backward()
                run.scaler.step(run.optimizer)
                run.scaler.update()
        run.scheduler.step()


def snapshot(run: Run, epoch: int, step: int = 0, mid_epoch: bool = False) -> dict:
    """A deep copy of every piece of state, as a checkpoint would hold it (NumPy's state stays an ndarray here).

    With ``mid_epoch`` the shuffle generator is stored as it was at the start of the epoch, so that a resumed run
    draws the same permutation and can skip the batches it already trained on.
    """
    generator_state = run.generator_at_epoch_start if mid_epoch else run.generator.get_state()
    return copy.deepcopy(
        {
            "model": run.model.state_dict(),
            "optimizer": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict(),
            "epoch": epoch,
            "step": step,
            "rng": {
                "python": random.getstate(),
                "numpy": np.random.get_state(),
                "torch": torch.get_rng_state(),
                "generator": generator_state,
            },
            "scaler": run.scaler.state_dict() if run.scaler is not None else None,
        }
    )


def restore_rng(snap: dict, skip: Collection[str] = ()) -> None:
    """Set the global RNGs (Python, NumPy, torch) from a snapshot, except the fields named in ``skip``."""
    rng = snap["rng"]
    if "rng.python" not in skip:
        random.setstate(rng["python"])
    if "rng.numpy" not in skip:
        np.random.set_state(rng["numpy"])
    if "rng.torch" not in skip:
        torch.set_rng_state(rng["torch"])


def restore_objects(run: Run, snap: dict, skip: Collection[str] = ()) -> None:
    """Load the state of model, optimizer, scheduler, shuffle generator and scaler, except the fields in ``skip``."""
    unknown = set(skip) - set(FIELDS)
    if unknown:
        raise ValueError(f"onbekende velden in skip: {sorted(unknown)}; kies uit {list(FIELDS)}")
    if "model" not in skip:
        run.model.load_state_dict(snap["model"])
    if "optimizer" not in skip:
        run.optimizer.load_state_dict(snap["optimizer"])
    if "scheduler" not in skip:
        run.scheduler.load_state_dict(snap["scheduler"])
    if "rng.generator" not in skip:
        run.generator.set_state(snap["rng"]["generator"])
    if run.scaler is not None and "scaler" not in skip and snap["scaler"] is not None:
        run.scaler.load_state_dict(snap["scaler"])


def resume(
    X: torch.Tensor,
    y: torch.Tensor,
    snap: dict,
    num_epochs: int,
    skip: Collection[str] = (),
    rng_first: bool = False,
    amp: bool = False,
) -> Run:
    """Rebuild every object from scratch (other seed, scrambled RNGs), restore ``snap`` and train to ``num_epochs``.

    ``rng_first`` restores the global RNGs *before* building the objects (the wrong order: building the model
    draws its initial weights from torch's RNG).
    """
    seed_everything(12345)
    if rng_first:
        restore_rng(snap, skip)
    run = make_run(X, y, seed=1, amp=amp)
    restore_objects(run, snap, skip)
    if not rng_first:
        restore_rng(snap, skip)
    start_epoch = 0 if "epoch" in skip else snap["epoch"]
    start_step = 0 if "step" in skip else snap["step"]
    train(run, start_epoch, num_epochs, start_step=start_step)
    return run


def flat_parameters(model: nn.Module) -> torch.Tensor:
    """All parameters in one detached vector."""
    return torch.cat([p.detach().reshape(-1).clone() for p in model.parameters()])


def numpy_rng_safe_globals() -> list:
    """The NumPy globals that ``np.random.get_state()`` needs to pass ``torch.load(weights_only=True)``."""
    multiarray = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray  # NumPy 2 renamed core
    return [multiarray._reconstruct, np.ndarray, np.dtype, type(np.dtype(np.uint32))]


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Resume the checkpoint demo in a fresh process: load "
        "DIR/checkpoint.pt, train to --epochs, write DIR/parameters.pt."
    )
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--epochs", type=int, required=True, help="total number of epochs of the whole run")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X, y = load_data()
    with torch.serialization.safe_globals(numpy_rng_safe_globals()):
        snap = torch.load(args.workdir / "checkpoint.pt", weights_only=True)
    run = resume(X, y, snap, args.epochs)
    torch.save(flat_parameters(run.model), args.workdir / "parameters.pt")
    print(f"nieuw proces (pid {os.getpid()}): hervat bij epoch {snap['epoch']}, getraind tot epoch {args.epochs}")


if __name__ == "__main__":
    _main()
