"""Fine-tuning pipeline: training data export (more to come: LoRA, evaluation, GGUF)."""
