"""The GGUF round trip: does llama.cpp, loading our export, make the same greedy tool calls as
PyTorch?

    pip install 'budgetlm[llamacpp]'   # builds llama.cpp from source (see RESULTS.md for time)
    python benchmarks/gguf_roundtrip.py [--prompts 48] [--threads 1] [--types f32 f16 q8_0 q4_k_m]

Exports the shipped micro model to each GGUF type (`budgetlm.finetune.gguf_export`), then for
each file continues the same chat prompts (the assistant corpus's test split, cut before every
assistant turn: tool calls and answers) greedily in both engines (`budgetlm.finetune.gguf_parity`)
and prints, per type: file size, the share of prompts llama.cpp tokenizes exactly as we do, the
share of prompts whose continuations are token-identical, the share of reference tokens
reproduced before the first difference, and the median time per decoded token in each engine
(same process, same thread count) with their ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from budgetlm.assistant.backends.local import micro_directory
from budgetlm.finetune.gguf_export import GGUF_TYPES, export_gguf
from budgetlm.finetune.gguf_parity import ParityConfig, check_gguf, parity_prompts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=48, help="chat prompts per type")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for both engines")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--types", nargs="+", default=list(GGUF_TYPES), choices=GGUF_TYPES)
    parser.add_argument("--json", type=Path, help="also write the results (and config) here")
    args = parser.parse_args()

    config = ParityConfig(max_new_tokens=args.max_new_tokens, threads=args.threads)
    started = time.perf_counter()
    prompts = parity_prompts(args.prompts)
    print(
        f"{len(prompts)} prompts from the corpus test split ({time.perf_counter() - started:.1f} s)"
    )
    header = (
        f"{'type':<7} {'size MB':>8} {'tokenize':>9} {'exact':>7} {'tokens':>7} "
        f"{'torch ms/tok':>13} {'llama.cpp ms/tok':>17} {'speed-up':>9}"
    )
    print(header)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for kind in args.types:
            exporting = time.perf_counter()
            exported = export_gguf(micro_directory(), Path(scratch) / f"micro-{kind}.gguf", kind)
            export_seconds = time.perf_counter() - exporting
            report = check_gguf(micro_directory(), exported.path, prompts, config)
            speedup = report.torch_decode_ms / report.gguf_decode_ms
            print(
                f"{kind:<7} {exported.bytes / 1e6:>8.2f} {report.tokenizer_agreement:>9.3f} "
                f"{report.exact_agreement:>7.3f} {report.token_agreement:>7.3f} "
                f"{report.torch_decode_ms:>13.2f} {report.gguf_decode_ms:>17.2f} {speedup:>8.1f}x"
            )
            print(f"        {report.tokens} tokens compared; exported in {export_seconds:.1f} s")
            if report.mismatches:
                print(f"        differing prompts (index, first position): {report.mismatches}")
            rows.append(
                {"type": kind, "bytes": exported.bytes, "export_seconds": export_seconds}
                | asdict(report)
            )
    print(f"total {time.perf_counter() - started:.0f} s on {platform.processor() or 'cpu'}")
    if args.json:
        payload = {"config": asdict(config), "prompts": len(prompts), "results": rows}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
