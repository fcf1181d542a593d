"""Train a causal language model on chat conversations, with loss on the assistant's turns only.

One readable loop: conversations are encoded once (`encode_for_training`), grouped into batches of
similar length so little compute goes to padding, and trained with AdamW (decoupled weight decay
on matrices only), linear warm-up then cosine decay, and gradient clipping. The output projection
runs only on the positions that carry loss, which on tool-use conversations (long prompts, short
answers) saves most of the vocabulary matmul.

Runs are reproducible: the same seed, data and thread count give bit-identical weights on the
CPU (data order comes from a seeded `random.Random`; weights and PyTorch draws from
`torch.manual_seed`; the caller's global random state is restored afterwards).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from budgetlm.lm.config import TrainConfig
from budgetlm.lm.template import IGNORE_INDEX, Message, encode_for_training

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

Conversation = Sequence[Message]
Example = tuple[list[int], list[int]]
"""``(input_ids, labels)`` of one encoded conversation."""

_BUCKET_BATCHES = 64
"""Batches sorted together by length; larger means less padding but less random batches."""


@dataclass(frozen=True)
class TrainProgress:
    """A snapshot of a running training, passed to the progress callback."""

    step: int
    """Optimizer steps done."""
    total_steps: int
    """Optimizer steps planned."""
    train_loss: float
    """Mean loss per target token over the steps since the previous report."""
    learning_rate: float
    """Current learning rate."""
    val_loss: float | None
    """Validation loss when it was computed at this step, else None."""
    tokens_seen: int
    """Non-padding tokens processed so far."""
    elapsed_seconds: float
    """Wall time since training started (validation included)."""


@dataclass(frozen=True)
class TrainReport:
    """What a training run did and how fast."""

    steps: int
    """Optimizer steps done."""
    epochs: float
    """Passes over the training examples (steps * batch size / examples)."""
    examples: int
    """Training conversations used."""
    skipped: int
    """Training conversations dropped because no assistant token survived truncation."""
    train_losses: tuple[tuple[int, float], ...]
    """``(step, mean loss since previous entry)`` every ``log_interval`` steps and at the end."""
    val_losses: tuple[tuple[int, float], ...]
    """``(step, validation loss)`` every ``eval_interval`` steps and at the end (empty without
    validation conversations)."""
    tokens: int
    """Non-padding tokens processed."""
    target_tokens: int
    """Tokens that carried loss."""
    elapsed_seconds: float
    """Wall time of the optimisation loop (validation excluded)."""

    @property
    def tokens_per_second(self) -> float:
        """Training throughput in non-padding tokens per second."""
        return self.tokens / self.elapsed_seconds if self.elapsed_seconds else 0.0

    @property
    def final_train_loss(self) -> float:
        """The last reported training loss."""
        return self.train_losses[-1][1] if self.train_losses else math.nan

    @property
    def final_val_loss(self) -> float | None:
        """The validation loss at the end, when there was validation data."""
        return self.val_losses[-1][1] if self.val_losses else None


def encode_examples(
    conversations: Sequence[Conversation], tokenizer: PreTrainedTokenizerFast, max_length: int
) -> tuple[list[Example], int]:
    """Encode conversations for training, dropping those left with nothing to learn.

    Returns:
        The examples and how many conversations were dropped.
    """
    examples: list[Example] = []
    for messages in conversations:
        ids, labels = encode_for_training(messages, tokenizer, max_length)
        # Labels are shifted inside the loss, so the first position can never be a target.
        if any(label != IGNORE_INDEX for label in labels[1:]):
            examples.append((ids, labels))
    return examples, len(conversations) - len(examples)


def length_bucketed_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Group example indices into batches of similar length, in a random order.

    Indices are shuffled, sorted by length within windows of `_BUCKET_BATCHES` batches, cut into
    batches, and the batches shuffled again, so every epoch sees every example once.

    Args:
        lengths: Token count of each example.
        batch_size: Examples per batch (the last batch of a window may be smaller).
        rng: Source of the order (seeded by the caller).
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * _BUCKET_BATCHES
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda index: lengths[index])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _collate(
    examples: Sequence[Example], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-pad a batch into ``(input_ids, attention_mask, labels)``, each (B, T)."""
    import torch

    width = max(len(ids) for ids, _ in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (ids, targets) in enumerate(examples):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(ids)] = torch.tensor(targets)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask, labels


def _loss_sum(
    model: PreTrainedModel, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, int]:
    """Summed next-token cross-entropy over the target positions, and their count."""
    import torch.nn.functional as F

    input_ids, attention_mask, labels = batch
    backbone = model.get_decoder()  # type: ignore[no-untyped-call]
    hidden = backbone(input_ids=input_ids, attention_mask=attention_mask)[0]  # (B, T, C)
    targets = labels[:, 1:]  # (B, T-1): position t predicts token t+1
    keep = targets != IGNORE_INDEX
    head = model.get_output_embeddings()  # type: ignore[no-untyped-call]
    logits = head(hidden[:, :-1][keep])  # (N, V), N = target count
    loss = F.cross_entropy(logits.float(), targets[keep], reduction="sum")
    return loss, int(keep.sum())


def evaluate_loss(
    model: PreTrainedModel, examples: Sequence[Example], batch_size: int, pad_id: int
) -> float:
    """Mean loss per target token over ``examples`` (the model is left in eval mode)."""
    import torch

    model.eval()  # type: ignore[no-untyped-call]
    order = sorted(range(len(examples)), key=lambda index: len(examples[index][0]))
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            batch = [examples[index] for index in order[start : start + batch_size]]
            loss, targets = _loss_sum(model, _collate(batch, pad_id))
            total, count = total + float(loss), count + targets
    return total / count if count else math.nan


def _optimizer(model: PreTrainedModel, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW with weight decay on matrices (including embeddings) but not on norms or biases."""
    import torch

    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.learning_rate, betas=config.adam_betas)


@contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Use ``threads`` CPU threads inside the block, restoring the previous setting after."""
    import torch

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def train(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerFast,
    train_conversations: Sequence[Conversation],
    val_conversations: Sequence[Conversation],
    config: TrainConfig,
    progress: Callable[[TrainProgress], None] | None = None,
) -> TrainReport:
    """Train ``model`` in place on chat conversations.

    Args:
        model: A causal LM (e.g. from `budgetlm.lm.model.build_model`), fp32 on the CPU.
        tokenizer: Its tokenizer, with the chat format's control tokens.
        train_conversations: OpenAI-style message lists, each ending in assistant turns.
        val_conversations: Held-out conversations for the validation loss (may be empty).
        config: Optimisation settings.
        progress: Called every ``config.log_interval`` steps, at each validation and at the end.

    Returns:
        Losses, token counts and timing. The model is left in eval mode.

    Raises:
        ValueError: When no training conversation has an assistant token to learn from.
    """
    import torch
    from transformers import get_cosine_with_min_lr_schedule_with_warmup

    # ---- DATA ----
    pad_id = tokenizer.pad_token_id
    if not isinstance(pad_id, int):
        raise ValueError("the tokenizer needs a padding token")
    examples, skipped = encode_examples(train_conversations, tokenizer, config.max_length)
    if not examples:
        raise ValueError("no training conversation has an assistant turn to learn from")
    val_examples, _ = encode_examples(val_conversations, tokenizer, config.max_length)
    lengths = [len(ids) for ids, _ in examples]
    batches_per_epoch = math.ceil(len(examples) / config.batch_size)
    total_steps = config.steps or max(1, math.ceil(config.epochs * batches_per_epoch))

    with torch.random.fork_rng(devices=[]), _torch_threads(config.threads):
        torch.manual_seed(config.seed)
        optimizer = _optimizer(model, config)
        warmup = min(config.warmup_steps, total_steps // 10)
        schedule = get_cosine_with_min_lr_schedule_with_warmup(
            optimizer, warmup, total_steps, min_lr_rate=config.min_learning_rate_ratio
        )

        def batches() -> Iterator[list[int]]:
            epoch = 0
            while True:
                rng = random.Random(config.seed * 1_000_003 + epoch)
                yield from length_bucketed_batches(lengths, config.batch_size, rng)
                epoch += 1

        train_losses: list[tuple[int, float]] = []
        val_losses: list[tuple[int, float]] = []
        tokens = target_tokens = 0
        window_loss, window_targets = 0.0, 0
        loop_seconds = 0.0
        started = time.perf_counter()

        # ---- TRAINING LOOP ----
        for step, indices in enumerate(batches(), start=1):
            tick = time.perf_counter()
            model.train()
            batch = _collate([examples[index] for index in indices], pad_id)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16_autocast):
                loss_sum, targets = _loss_sum(model, batch)
            (loss_sum / targets).backward()  # type: ignore[no-untyped-call]
            if config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            loop_seconds += time.perf_counter() - tick

            # ---- LOGGING AND VALIDATION ----
            tokens += int(batch[1].sum())
            target_tokens += targets
            window_loss, window_targets = window_loss + loss_sum.item(), window_targets + targets
            last = step == total_steps
            log_now = step % config.log_interval == 0 or last
            eval_now = bool(val_examples) and (
                last or (config.eval_interval > 0 and step % config.eval_interval == 0)
            )
            val_loss = None
            if eval_now:
                val_loss = evaluate_loss(model, val_examples, config.batch_size, pad_id)
                val_losses.append((step, val_loss))
            if log_now:
                train_losses.append((step, window_loss / window_targets))
                window_loss, window_targets = 0.0, 0
            if (log_now or eval_now) and progress is not None:
                progress(
                    TrainProgress(
                        step=step,
                        total_steps=total_steps,
                        train_loss=train_losses[-1][1] if train_losses else math.nan,
                        learning_rate=schedule.get_last_lr()[0],
                        val_loss=val_loss,
                        tokens_seen=tokens,
                        elapsed_seconds=time.perf_counter() - started,
                    )
                )
            if last:
                break

    model.eval()  # type: ignore[no-untyped-call]
    return TrainReport(
        steps=total_steps,
        epochs=total_steps * config.batch_size / len(examples),
        examples=len(examples),
        skipped=skipped,
        train_losses=tuple(train_losses),
        val_losses=tuple(val_losses),
        tokens=tokens,
        target_tokens=target_tokens,
        elapsed_seconds=loop_seconds,
    )
