"""The budget assistant: periods, typed tools over the ledger and the analytics engines, answers
checked against tool results, safety, and the conversation loop around a language model."""
